/**
 * A worker whose `password` the master refuses, as real subprocesses: it
 * retries every `master_reconnect_timeout` for ever, so the master warns of
 * it once and logs the repeats at debug level.
 */

import assert from "node:assert/strict";
import { startMaster } from "./helpers/master.ts";
import { waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker } from "./helpers/worker.ts";

/** The master's log lines about refused registrations. */
function refusals(stderr: string): string[] {
  return stderr.split("\n").filter((line) =>
    line.includes("invalid password on request register-worker")
  );
}

Deno.test("the master warns once of a worker with the wrong password, then logs its retries at debug", async () => {
  await using db = await openTestSqliteDatabase();
  await using master = await startMaster({ config: { password: "right" } });
  await using _worker = await startWorker(db, {
    config: {
      password: "wrong",
      master_host: "127.0.0.1",
      master_port: master.port,
      master_reconnect_timeout: 0.1,
    },
  });
  const lines = await waitFor(
    "four refused registrations",
    () => {
      const found = refusals(master.process.stderrSoFar);
      return found.length >= 4 ? found : undefined;
    },
  );
  const [first, ...repeats] = lines;
  assert.match(first, /\[WRN\] jobd·net: Refused 127\.0\.0\.1:\d+: invalid password .*debug level/);
  for (const line of repeats) {
    assert.match(line, /\[DBG\] jobd·net: .* \(\d+ refusals of 127\.0\.0\.1 in a row\)$/);
  }
});
