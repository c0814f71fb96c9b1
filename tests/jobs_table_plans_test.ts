/**
 * `jobctl jobs` on a big table: the rows of one target are read through the
 * `(status, target, id)` index of examples/schema.sql, one range per status,
 * so a target with few rows (or a mistyped one) costs a few index reads
 * rather than a walk over every row of the table. Checked on the query plans
 * of MariaDB and SQLite. The newest failed rows (the status page's Last
 * failures) have an index of their own, optional in examples/schema.sql.
 */

import assert from "node:assert/strict";
import { QUERY_STATUSES } from "../src/protocol/control_requests.ts";
import {
  countJobsStatements,
  countWaitingStatements,
  listJobsStatement,
  WAITING_COUNT_TARGETS,
} from "../src/storage/control_sql.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

/** Rows of 'busy' (2^12 of them, done) and two of 'rare' (one done ok, one waiting). */
const BUSY_DOUBLINGS = 12;

/** 2^BUSY_DOUBLINGS `done` rows of 'busy', created and finished at 1 (1970). */
async function insertBusyRows(db: TestDatabase): Promise<void> {
  await db.query(
    "INSERT INTO jobs (target, time_created, time_finished, status, result) " +
      "VALUES ('busy', 1, 1, 'done', 'ok')",
  );
  for (let i = 0; i < BUSY_DOUBLINGS; i++) {
    await db.query(
      "INSERT INTO jobs (target, time_created, time_finished, status, result) " +
        "SELECT target, time_created, time_finished, status, result FROM jobs",
    );
  }
}

Deno.test("mysql: jobs of one target read the status and target index, not every row", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  await insertBusyRows(db);
  const [rareDone] = await db.insertJobs("rare", 1, "done");
  const [rareWaiting] = await db.insertJobs("rare", 1);
  await db.query("ANALYZE TABLE jobs");

  const { sql, params } = listJobsStatement("jobs", { target: "rare", limit: 20 }, true);
  const plan = await db.query(`EXPLAIN ${sql}`, params);
  const reads = plan.filter((row) => row.table === "jobs");
  assert.equal(reads.length, QUERY_STATUSES.length, "one read per status");
  for (const read of reads) {
    assert.equal(read.key, "status_target_idx");
    assert.ok(Number(read.rows) < 100, `a read would examine ${read.rows} rows`);
  }
  const rows = await db.query(sql, params);
  assert.deepEqual(rows.map((row) => Number(row.id)), [rareWaiting, rareDone]);
});

Deno.test("sqlite: jobs of one target read the status and target index, not every row", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await db.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${
      2 ** BUSY_DOUBLINGS
    }) INSERT INTO jobs (target, time_created, status, result) SELECT 'busy', 1, 'done', 'ok' FROM n`,
  );
  const [rareDone] = await db.insertJobs("rare", 1, "done");
  const [rareWaiting] = await db.insertJobs("rare", 1);
  await db.query("ANALYZE");

  const { sql, params } = listJobsStatement('"jobs"', { target: "rare", limit: 20 }, true);
  const plan = (await db.query(`EXPLAIN QUERY PLAN ${sql}`, ...params))
    .map((row) => String(row.detail));
  const reads = plan.filter((detail) => /^(SCAN|SEARCH) jobs\b/.test(detail));
  assert.equal(reads.length, QUERY_STATUSES.length, plan.join("\n"));
  for (const read of reads) {
    assert.match(read, /^SEARCH jobs USING INDEX status_target_idx \(status=\? AND target=\?\)/);
  }
  const rows = await db.query(sql, ...params);
  assert.deepEqual(rows.map((row) => Number(row.id)), [rareWaiting, rareDone]);
});

Deno.test("mysql: with schema.sql's optional operator indexes, the newest failed rows are read through one", async () => {
  await using db = await openTestDatabase({ withOperatorIndexes: true });
  await insertBusyRows(db);
  // Failures are rare: two, older than every ok row above them.
  const failed = await db.insertJobs("busy", 2, "done");
  await db.setColumns(failed, { result: "fail" });
  await db.insertJobs("busy", 50, "done");
  await db.query("ANALYZE TABLE jobs");

  // What the status page asks for its Last failures.
  const query = { status: "done", result: "fail", limit: 20 } as const;
  const { sql, params } = listJobsStatement("jobs", query, true);
  const [plan] = await db.query(`EXPLAIN ${sql}`, params);
  assert.equal(plan.key, "status_result_idx");
  assert.ok(Number(plan.rows) < 100, `the read would examine ${plan.rows} rows`);
  const rows = await db.query(sql, params);
  assert.deepEqual(rows.map((row) => Number(row.id)), [...failed].reverse());
});

Deno.test("mysql: with schema.sql's optional operator indexes, stats counts the last day's done rows from the index alone", async () => {
  await using db = await openTestDatabase({ withOperatorIndexes: true });
  // Old done rows (finished at 1970 + 1 s), then 50 finished now.
  await insertBusyRows(db);
  const now = Math.floor(Date.now() / 1000);
  const recent = await db.insertJobs("busy", 50, "done");
  await db.setColumns(recent, { result: "ok", time_finished: now });
  await db.query("ANALYZE TABLE jobs");

  const { done } = countJobsStatements("jobs", { hourAgo: now - 3600, dayAgo: now - 86400 }, {
    created: true,
    attempts: false,
  });
  const [plan] = await db.query(`EXPLAIN ${done.sql}`, done.params);
  assert.equal(plan.key, "status_finished_idx");
  // The target and the result are in the index: no row is read.
  assert.match(String(plan.Extra), /Using index(?! condition)/);
  assert.ok(Number(plan.rows) < 100, `the read would examine ${plan.rows} rows`);
  const rows = await db.query(done.sql, done.params);
  assert.deepEqual(
    rows.map((row) => [row.target, row.result, Number(row.day)]),
    [["busy", "ok", 50]],
  );
});

Deno.test("mysql: list-targets' waiting counts read the status and target index alone", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  await insertBusyRows(db);
  await db.insertJobs("rare", 2);
  await db.query("ANALYZE TABLE jobs");

  const [read] = countWaitingStatements("jobs", ["busy", "rare"]);
  const [plan] = await db.query(`EXPLAIN ${read.sql}`, read.params);
  assert.equal(plan.key, "status_target_idx");
  assert.match(String(plan.Extra), /Using index(?! condition)/);
  assert.ok(Number(plan.rows) < 100, `the read would examine ${plan.rows} rows`);
  const rows = await db.query(read.sql, read.params);
  assert.deepEqual(rows.map((row) => [row.target, Number(row.count)]), [["rare", 2]]);
});

Deno.test("sqlite: list-targets' waiting counts read the status and target index alone", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await db.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${
      2 ** BUSY_DOUBLINGS
    }) INSERT INTO jobs (target, time_created, status, result) SELECT 'busy', 1, 'done', 'ok' FROM n`,
  );
  await db.insertJobs("rare", 2);
  await db.query("ANALYZE");

  const [read] = countWaitingStatements('"jobs"', ["busy", "rare"]);
  const plan = (await db.query(`EXPLAIN QUERY PLAN ${read.sql}`, ...read.params))
    .map((row) => String(row.detail));
  const reads = plan.filter((detail) => /^(SCAN|SEARCH) jobs\b/.test(detail));
  assert.deepEqual(reads.length, 1, plan.join("\n"));
  assert.match(
    reads[0],
    // Either index on (status, target, ...) serves it; the table's rows are never read.
    /^SEARCH jobs USING COVERING INDEX status_target(_run)?_idx \(status=\? AND target=\?\)/,
  );
  const rows = await db.query(read.sql, ...read.params);
  assert.deepEqual(rows.map((row) => [row.target, Number(row.count)]), [["rare", 2]]);
});

Deno.test("waiting counts of 10,000 targets are ten reads of 1,000 targets", () => {
  const targets = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
  const reads = countWaitingStatements("jobs", targets);
  assert.equal(reads.length, 10_000 / WAITING_COUNT_TARGETS);
  assert.deepEqual(reads.flatMap((read) => read.params), targets);
});
