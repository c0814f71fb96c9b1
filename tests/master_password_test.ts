/**
 * A worker whose `password` the master refuses, as real subprocesses: it
 * retries every `master_reconnect_timeout` for ever, so the master warns of
 * it once and logs the repeats at debug level; the worker's `/health` says
 * why it is not registered.
 */

import assert from "node:assert/strict";
import { startMaster } from "./helpers/master.ts";
import { fetchFresh } from "./helpers/http.ts";
import { freePort, waitFor } from "./helpers/processes.ts";
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

Deno.test("a worker's /health names why the master refused its registration", async () => {
  await using db = await openTestSqliteDatabase();
  await using master = await startMaster({ config: { password: "right" } });
  const httpPort = freePort();
  await using _worker = await startWorker(db, {
    config: {
      password: "wrong",
      always_allow_localhost: true,
      http_port: httpPort,
      master_host: "127.0.0.1",
      master_port: master.port,
      master_reconnect_timeout: 0.1,
    },
  });
  const health = await waitFor("the refusal in /health", async () => {
    const response = await fetchFresh(`http://127.0.0.1:${httpPort}/health`);
    const text = await response.text();
    return text.includes("invalid password") ? { status: response.status, text } : undefined;
  });
  assert.deepEqual(health, {
    status: 503,
    text: `master: not registered with the master at 127.0.0.1:${master.port}: invalid password\n`,
  });
});
