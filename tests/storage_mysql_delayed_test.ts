/**
 * Deferred jobs must not slow the claim of waiting rows: with many `delayed`
 * rows in the future, the claim's locking read still reads only the
 * `(status, target, id)` index, and the promotion and the count read only the
 * `(status, target, time_run_at)` one.
 */

import assert from "node:assert/strict";
import { claimSelectSql } from "../src/storage/mysql/claim_waiting.ts";
import { promoteDelayedSql } from "../src/storage/mysql/promote_delayed.ts";
import { openTestDatabase } from "./helpers/database.ts";

Deno.test("mysql: with many future delayed rows, the waiting claim stays index-only", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  const future = Math.floor(Date.now() / 1000) + 3600;
  await db.query(
    "INSERT INTO jobs (target, time_created, status, time_run_at) VALUES ('build', 0, 'delayed', ?)",
    [future],
  );
  // Doubling: 2^14 = 16,384 delayed rows, then a few waiting ones.
  for (let i = 0; i < 14; i++) {
    await db.query(
      "INSERT INTO jobs (target, time_created, status, time_run_at) " +
        "SELECT target, time_created, status, time_run_at + id % 100 FROM jobs",
    );
  }
  const waiting = await db.insertJobs("build", 5);
  await db.query("ANALYZE TABLE jobs");

  const [plan] = await db.query(`EXPLAIN ${claimSelectSql("jobs", true)}`, ["build", 10]);
  assert.equal(plan.key, "status_target_idx");
  assert.match(String(plan.Extra), /Using index/);
  // It examines the waiting rows, not the delayed ones.
  assert.ok(Number(plan.rows) < 100, `the claim would examine ${plan.rows} rows`);

  const [promote] = await db.query(`EXPLAIN ${promoteDelayedSql("jobs")}`, [
    ["build"],
    future - 1,
    100,
  ]);
  assert.equal(promote.key, "status_target_run_idx");
  assert.ok(Number(promote.rows) < 100, `the promotion would examine ${promote.rows} rows`);

  const claimed = await db.query(`${claimSelectSql("jobs", true)}`, ["build", 10]);
  assert.deepEqual(claimed.map((row) => Number(row.id)), waiting);
});
