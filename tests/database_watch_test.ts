/**
 * The worker's view of database outages (src/worker/database_watch.ts) on a
 * real MariaDB: how long the logged outage lasted when the server froze.
 */

import assert from "node:assert/strict";
import { configureLogging } from "../src/log.ts";
import { openMysqlStore } from "../src/storage/mysql_store.ts";
import { watchDatabase } from "../src/worker/database_watch.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { storageError } from "./storage_conformance/mod.ts";
import { freeze } from "./helpers/processes.ts";

Deno.test("a frozen server's outage is counted from the statement that found it, not from its time limit", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  const logFile = await Deno.makeTempFile({ prefix: "jobd-watch-", suffix: ".log" });
  try {
    {
      await using _logging = await configureLogging({
        consoleLevel: "error",
        fileLevel: "warn",
        filePath: logFile,
      });
      await using store = await openMysqlStore({
        ...db.storeOptions("w"),
        poolSize: 1,
        queryTimeoutMs: 1_000,
      });
      const watched = watchDatabase(store, "the-db");
      await watched.ping();
      const pid = db.server!.pid!;
      await freeze(pid);
      try {
        // The server does not answer: the statement fails at its 1 s limit, the outage
        // having begun when it was sent.
        const error = await storageError(watched.ping());
        assert.match(error.message, /the query timed out after 1 s/);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      await watched.ping();
    }
    const lines = (await Deno.readTextFile(logFile)).trim().split("\n");
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0], /\[WRN\] jobd·worker: Lost the database the-db: .*timed out after 1 s/);
    // At least the statement's 1 s: in seconds, never a few milliseconds from failure to return.
    assert.match(
      lines[1],
      /\[WRN\] jobd·worker: The database the-db is reachable again after \d+ s$/,
    );
  } finally {
    await Deno.remove(logFile);
  }
});
