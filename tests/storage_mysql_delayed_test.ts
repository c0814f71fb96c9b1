/**
 * Deferred jobs must not slow the claim of waiting rows: with many `delayed`
 * rows in the future, the claim's locking read still reads only the
 * `(status, target, id)` index, and the promotion and the count read only the
 * `(status, target, time_run_at)` one. A `delayed` row whose `time_run_at` is
 * NULL (a table that allows it) is due at once, never stuck.
 */

import assert from "node:assert/strict";
import { claimSelectSql } from "../src/storage/mysql/claim_waiting.ts";
import { nullRunAtSql, promoteDelayedSql } from "../src/storage/mysql/promote_delayed.ts";
import { openMysqlStore } from "../src/storage/mysql_store.ts";
import { countDelayedStatement } from "../src/storage/mysql/count_delayed.ts";
import { DELAYED_COUNT_LIMIT } from "../src/protocol/requests.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { waitFor } from "./helpers/processes.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";

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

  // In a table whose time_run_at may be NULL, the rows that are NULL are a range too.
  await db.query("ALTER TABLE jobs MODIFY time_run_at int(10) UNSIGNED NULL DEFAULT NULL");
  await db.query("ANALYZE TABLE jobs");
  const [nulls] = await db.query(`EXPLAIN ${nullRunAtSql("jobs")}`, [["build"], 100]);
  assert.equal(nulls.key, "status_target_run_idx");
  assert.match(String(nulls.type), /^(ref|range)$/);
  assert.ok(Number(nulls.rows) < 100, `the read of NULL times would examine ${nulls.rows} rows`);
});

/** A table whose `time_run_at` allows NULL, as an application may have altered it. */
async function openNullableRunAt() {
  const db = await openTestDatabase({ withTimeColumns: true });
  await db.query("ALTER TABLE jobs MODIFY time_run_at int(10) UNSIGNED NULL DEFAULT NULL");
  return db;
}

Deno.test("mysql: a delayed row whose time_run_at is NULL is counted due and promoted first", async () => {
  await using db = await openNullableRunAt();
  await using store = await openMysqlStore(db.storeOptions("w"));
  const now = 1_700_000_000;
  const [due, later, empty, alsoEmpty] = await db.insertJobs("build", 4, "delayed");
  await db.setColumns([due], { time_run_at: now - 10 });
  await db.setColumns([later], { time_run_at: now + 3600 });
  const [onlyNull] = await db.insertJobs("deploy", 1, "delayed");

  // Counted as due now, so the worker's timer fires at once; also where it is the only row.
  assert.deepEqual(
    await store.countDelayed(["build", "deploy"]),
    new Map([["build", { count: 4, next: 0 }], ["deploy", { count: 1, next: 0 }]]),
  );
  // The limit holds: the NULL rows first, then the due ones.
  assert.equal(await store.promoteDelayed(["build"], now, 2), 2);
  assert.deepEqual((await db.rows([due, later, empty, alsoEmpty])).map((row) => row.status), [
    "delayed",
    "delayed",
    "waiting",
    "waiting",
  ]);
  assert.equal(await store.promoteDelayed(["build", "deploy"], now, 10), 2);
  assert.deepEqual((await db.rows([due, later, onlyNull])).map((row) => row.status), [
    "waiting",
    "delayed",
    "waiting",
  ]);
  assert.deepEqual(
    await store.countDelayed(["build", "deploy"]),
    new Map([["build", { count: 1, next: now + 3600 }]]),
  );
});

Deno.test("mysql: a worker runs a delayed row whose time_run_at is NULL at once, warning with its id", async () => {
  await using db = await openNullableRunAt();
  const [stuck] = await db.insertJobs("t1", 1, "delayed");
  const [later] = await db.insertJobs("t1", 1, "delayed");
  await db.setColumns([later], { time_run_at: Math.floor(Date.now() / 1000) + 3600 });
  await using worker = await startWorker(db);
  await waitForDone(db, [stuck]);
  await waitFor(
    "the warning naming the job",
    () =>
      worker.process.output().then((text) =>
        text.includes(`Job ${stuck}: its time_run_at NULL is not a unix time; running it now`) ||
        undefined
      ),
  );
  assert.equal((await db.rows([later]))[0].status, "delayed");
});

Deno.test("mysql: the delayed rows of 10,000 targets are counted by one statement, its reads planned once", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true, privateServer: true });
  await using store = await openMysqlStore(db.storeOptions("w"));
  // Two delayed rows of each of 10,000 targets, 10,050 of 'big' (counted up to the limit).
  await db.query(
    `INSERT INTO jobs (target, status, time_created, time_run_at)
       SELECT CONCAT('t', seq DIV 2), 'delayed', 0, 1700000000 + seq FROM seq_0_to_19999`,
  );
  await db.query(
    `INSERT INTO jobs (target, status, time_created, time_run_at)
       SELECT 'big', 'delayed', 0, 1700000000 FROM seq_1_to_10050`,
  );
  await db.query("ANALYZE TABLE jobs");
  const targets = ["big", ...Array.from({ length: 10_000 }, (_, i) => `t${i}`), "none"];

  const before = await selectCount(db);
  const summaries = await store.countDelayed(targets);
  assert.equal(await selectCount(db) - before, 1);
  assert.equal(summaries.size, 10_001);
  assert.deepEqual(summaries.get("big"), { count: DELAYED_COUNT_LIMIT, next: 1_700_000_000 });
  assert.deepEqual(summaries.get("t4321"), { count: 2, next: 1_700_008_642 });
  assert.equal(summaries.has("none"), false);

  // However many targets, the same few reads of the jobs table, each an index lookup.
  for (const nullable of [false, true]) {
    const { sql, params } = countDelayedStatement("jobs", nullable, targets.slice(0, 100));
    const plan = await db.query(`EXPLAIN ${sql}`, params);
    // (The look for NULL times may be planned away: the test's column is NOT NULL.)
    const reads = plan.filter((row) => row.table === "jobs");
    assert.ok(reads.length >= 3 && reads.length <= 4, `${reads.length} reads of the table`);
    for (const read of reads) {
      assert.match(String(read.key), /^status_target(_run)?_idx$/);
      assert.match(String(read.Extra), /Using index/);
      assert.ok(Number(read.rows) < 100, `a read would examine ${read.rows} rows`);
    }
  }
});

/** The server's count of SELECT statements so far (all sessions). */
async function selectCount(db: TestDatabase): Promise<number> {
  const [row] = await db.query("SHOW GLOBAL STATUS WHERE Variable_name = 'Com_select'");
  return Number(row.Value);
}

Deno.test("mysql: delayed rows are counted for ASCII and other names alike in a latin1 target column", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  // (time_run_at may be NULL too: each name's reads look for such rows.)
  await db.query(
    "ALTER TABLE jobs MODIFY target char(16) CHARACTER SET latin1 NOT NULL, " +
      "MODIFY time_run_at int(10) UNSIGNED NULL DEFAULT NULL",
  );
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [build] = await db.insertJobs("build", 1, "delayed");
  const [cafe] = await db.insertJobs("café", 1, "delayed");
  await db.setColumns([build], { time_run_at: 1_700_000_100 });
  await db.setColumns([cafe], { time_run_at: 1_700_000_200 });
  assert.deepEqual(
    await store.countDelayed(["build", "café", "deploy", "crème"]),
    new Map([
      ["build", { count: 1, next: 1_700_000_100 }],
      ["café", { count: 1, next: 1_700_000_200 }],
    ]),
  );
  await db.insertJobs("crème", 1, "delayed");
  assert.deepEqual((await store.countDelayed(["crème"])).get("crème"), { count: 1, next: 0 });
});
