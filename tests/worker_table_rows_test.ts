/**
 * What careless rows in the jobs table do to a real worker: applications insert rows themselves, so
 * every value the worker reads from a row may be outside what jobd writes. A bad row never stops
 * the worker or the other jobs of its target, and the worker says which job and which column.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";

Deno.test("rows whose id is beyond ±(2^53 - 1) stay waiting, hold back no other job, and are named at start-up", async () => {
  await using db = await openTestDatabase();
  // A signed BIGINT holds ids from -2^63 to 2^63 - 1; jobd can tell apart ids up to 2^53 - 1.
  await db.query("ALTER TABLE jobs MODIFY id BIGINT NOT NULL AUTO_INCREMENT");
  const beyond = ["-9223372036854775808", "9007199254740993", "9223372036854775807"];
  await db.query(
    "INSERT INTO jobs (id, target, time_created) VALUES " +
      "(-9223372036854775808, 't1', 0), (3, 't1', 0), (4, 't1', 0), " +
      "(9007199254740993, 't1', 0), (9223372036854775807, 't1', 0)",
  );
  await using worker = await startWorker(db);
  await worker.client.poll(["t1"]);

  // The lowest id no longer fails every claim of its target: the others run.
  const done = await waitForDone(db, [3, 4], 30);
  assert.deepEqual(done.map((row) => row.stdout), ["out 3\n", "out 4\n"]);
  const left = await db.query(
    "SELECT CAST(id AS CHAR) AS id, status FROM jobs WHERE id NOT IN (3, 4) ORDER BY id",
  );
  assert.deepEqual(left.map((row) => [row.id, row.status]), beyond.map((id) => [id, "waiting"]));
  await worker.client.poll(["t1"]);
  const stderr = worker.process.stderrSoFar;
  const warnings = stderr.match(/has rows whose 'id' is beyond ±9007199254740991/g) ?? [];
  assert.equal(warnings.length, 1, "one warning, at start-up, not one per claim");
  assert.match(
    stderr,
    /\(job (-9223372036854775808|9007199254740993|9223372036854775807) is one\)/,
  );
  assert.match(stderr, /renumber or delete them and lower the table's AUTO_INCREMENT/);
  assert.doesNotMatch(stderr, /Cannot claim/);
});
