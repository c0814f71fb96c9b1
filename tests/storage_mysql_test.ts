/**
 * The MySQL store against a real MariaDB: the shared conformance suite (the
 * operators' operations too), then what is particular to MySQL (quoting, the
 * port, table checks, character sets, a server that goes away and comes back).
 */

import assert from "node:assert/strict";
import { isTransientStorageError, StorageError } from "../src/storage/errors.ts";
import { DEFAULT_QUERY_TIMEOUT_MS, openMysqlStore } from "../src/storage/mysql_store.ts";
import type { ClaimedJob } from "../src/job.ts";
import { claimWaiting } from "../src/storage/mysql/claim_waiting.ts";
import type { MysqlContext } from "../src/storage/mysql/context.ts";
import { quoteIdentifier } from "../src/storage/mysql/identifier.ts";
import { createPool } from "../src/storage/mysql/pool.ts";
import { ROOMY_OUTPUT } from "../src/storage/mysql/output_fit.ts";
import { getLogger } from "@logtape/logtape";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { freePort } from "./helpers/processes.ts";
import {
  defineJobControlConformance,
  defineJobStoreConformance,
  storageError,
  storeFixture,
} from "./storage_conformance/mod.ts";

defineJobStoreConformance("mysql", async ({ workerName, withWorkerColumn, withTimeColumns }) => {
  const db = await openTestDatabase({ withWorkerColumn, withTimeColumns });
  return await storeFixture(db, {
    workerName,
    where: `table '${db.table}' of database '${db.database}'`,
    open: (name) => openMysqlStore(db.storeOptions(name)),
  });
});

// The operators' operations on a table with the application's own columns
// (tests/storage_conformance/control_fixture.ts).
defineJobControlConformance("mysql", async ({ delayed }) => {
  const db = await openTestDatabase({ withWorkerColumn: true });
  const table = quoteIdentifier(db.table);
  try {
    await db.query(
      `ALTER TABLE ${table}
         ADD COLUMN priority INT NOT NULL DEFAULT 0,
         ADD COLUMN note VARCHAR(8) NULL,
         ADD COLUMN attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0`,
    );
    if (delayed) {
      await db.query(
        `ALTER TABLE ${table}
           MODIFY status enum('waiting','manual','accepted','running','done','ignored','delayed')
             NOT NULL DEFAULT 'waiting',
           ADD COLUMN time_run_at INT UNSIGNED NOT NULL DEFAULT 0`,
      );
    }
    const store = await openMysqlStore(db.storeOptions("w1"));
    return {
      store,
      where: `table '${db.table}' of database '${db.database}'`,
      enforcesLengths: true,
      table,
      insert: (target, count, status) => db.insertJobs(target, count, status),
      query: async (sql, ...params) => {
        const rows = await db.query(sql, params);
        return Array.isArray(rows) ? rows.map((row) => ({ ...row })) : [];
      },
      async [Symbol.asyncDispose]() {
        await store.close();
        await db[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
});

Deno.test("mysql: a table name with backticks, quotes and spaces is used as-is", async () => {
  const table = 'odd`name\'; DROP TABLE x; -- "jobs"';
  await using db = await openTestDatabase({ table });
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 2);
  assert.deepEqual((await store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id), ids);
  assert.deepEqual(await store.markRunning([ids[0]], 1_700_000_000), []);
  // The schema's optional board table aside, the odd name is the only table: nothing was dropped.
  const tables = await db.query(`SHOW TABLES WHERE Tables_in_${db.database} != 'jobd_schedules'`);
  assert.deepEqual(tables.map((row) => Object.values(row)[0]), [table]);
});

Deno.test("mysql: the configured port is the one connected to", async () => {
  await using db = await openTestDatabase();
  assert.notEqual(db.port, 3306, "the test server must not sit on the default port");
  await using store = await openMysqlStore(db.storeOptions("w"));
  assert.deepEqual(await store.claimWaiting(new Map([["build", 1]])), []);

  const port = freePort(); // nothing listens there
  const error = await storageError(openMysqlStore({ ...db.storeOptions("w"), port }));
  assert.match(error.message, new RegExp(`at 127\\.0\\.0\\.1:${port}: `));
  assert.equal(isTransientStorageError(error), true);
});

Deno.test("mysql: a missing table is an error naming the table and the database", async () => {
  await using db = await openTestDatabase();
  const error = await storageError(
    openMysqlStore({ ...db.storeOptions("w"), table: "no_such_jobs" }),
  );
  assert.equal(
    error.message,
    `Cannot use the table 'no_such_jobs' of database '${db.database}': it does not exist ` +
      "(create it with examples/schema.sql, or name the table with mysql_table)",
  );
  assert.equal(isTransientStorageError(error), false);
});

Deno.test("mysql: a table without a required column is an error naming the columns", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs DROP COLUMN sig, DROP COLUMN stderr");
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    new StorageError(
      `Cannot use the table 'jobs' of database '${db.database}': it has no columns 'sig', 'stderr'`,
    ),
  );
});

Deno.test("mysql: a worker name longer than the worker column is refused at open", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  await assert.rejects(
    openMysqlStore(db.storeOptions("w".repeat(65))),
    /is longer than the 64 characters of its column 'worker'/,
  );
});

Deno.test("mysql: MariaDB 10.11 claims with SKIP LOCKED", async () => {
  await using db = await openTestDatabase();
  await using store = await openMysqlStore(db.storeOptions("w"));
  assert.equal(store.serverVersion.product, "MariaDB");
  assert.equal(store.skipLocked, true);
});

Deno.test("mysql: claims with plain FOR UPDATE (servers without SKIP LOCKED) never share a job", async () => {
  await using db = await openTestDatabase();
  const ids = [...await db.insertJobs("build", 60), ...await db.insertJobs("deploy", 30)];
  const contexts = ["a", "b"].map((workerName): MysqlContext => ({
    pool: createPool(
      { ...db.storeOptions(workerName), poolSize: 1, queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS },
      getLogger(["jobd", "test"]),
    ),
    queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
    tableName: "jobs",
    table: "`jobs`",
    workerName,
    tracksOwner: false,
    skipLocked: false,
    output: ROOMY_OUTPUT,
    time: { columns: new Set(), delayedStatus: false },
  }));
  try {
    const drain = async (context: MysqlContext) => {
      const taken: ClaimedJob[] = [];
      const limits = new Map([["build", 7], ["deploy", 3]]);
      for (let jobs; (jobs = await claimWaiting(context, limits, new Map(), 0)).length > 0;) {
        taken.push(...jobs);
      }
      return taken.map((job) => job.id);
    };
    const [a, b] = await Promise.all(contexts.map(drain));
    assert.deepEqual(a.filter((id) => b.includes(id)), []);
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), ids);
  } finally {
    for (const context of contexts) await context.pool.end();
  }
});

Deno.test("mysql: output a utf8 (3-byte) column cannot hold is stored with U+FFFD", async () => {
  await using db = await openTestDatabase();
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [id] = await db.insertJobs("build", 1);
  await store.claimWaiting(new Map([["build", 1]]));
  await store.markRunning([id], 1_700_000_000);
  const notRunning = await store.markDone([{
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok", code: 0, signal: null, stdout: "done 🎉 ✓", stderr: "" },
  }]);
  assert.deepEqual(notRunning, []);
  const [row] = await db.rows([id]);
  assert.equal(row.status, "done");
  assert.equal(row.stdout, "done \uFFFD ✓");
});

Deno.test("mysql: output too long for its column is cut to what it holds, with a note; the result is kept", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY stdout varchar(100) DEFAULT NULL");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [id] = await db.insertJobs("build", 1);
  await store.claimWaiting(new Map([["build", 1]]));
  await store.markRunning([id], 1_700_000_000);
  await store.markDone([{
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "fail", code: 3, signal: null, stdout: "x".repeat(1000), stderr: "" },
  }]);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.return_code], ["done", "fail", 3]);
  const note = "\n[jobd: output cut to what its column 'stdout' (varchar(100)) holds]";
  assert.equal(row.stdout, "x".repeat(100 - note.length) + note);
});

Deno.test("mysql: output its column's character set lacks is replaced by a notice, the result is kept", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY stdout varchar(100) CHARACTER SET cp1251 DEFAULT NULL");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [id] = await db.insertJobs("build", 1);
  await store.claimWaiting(new Map([["build", 1]]));
  await store.markRunning([id], 1_700_000_000);
  await store.markDone([{
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "fail", code: 3, signal: null, stdout: "checked ✓", stderr: "" },
  }]);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.return_code], ["done", "fail", 3]);
  assert.match(row.stderr ?? "", /^\[jobd: output not stored: Incorrect string value/);
});

Deno.test("mysql: a start joined with a result whose output its column refuses still starts, the result kept", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY stdout varchar(100) CHARACTER SET cp1251 DEFAULT NULL");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [ended, next] = await db.insertJobs("build", 2);
  await store.claimWaiting(new Map([["build", 2]]));
  await store.markRunning([ended], 1_700_000_000);
  assert.deepEqual(
    await store.markRunningAndDone([next], 1_700_000_050, [{
      id: ended,
      finishedAt: 1_700_000_100,
      outcome: { result: "fail", code: 3, signal: null, stdout: "checked ✓", stderr: "" },
    }]),
    { notAccepted: [], notRunning: [] },
  );
  const [end, start] = await db.rows([ended, next]);
  assert.deepEqual([end.status, end.result, end.return_code], ["done", "fail", 3]);
  assert.match(end.stderr ?? "", /^\[jobd: output not stored: Incorrect string value/);
  assert.deepEqual([start.status, start.time_started], ["running", 1_700_000_050]);
});

Deno.test("mysql: a start joined with a result stores non-ASCII output in a latin1 column, the characters it lacks as '?'", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY stdout mediumtext CHARACTER SET latin1 DEFAULT NULL");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [ended, next] = await db.insertJobs("build", 2);
  await store.claimWaiting(new Map([["build", 2]]));
  await store.markRunning([ended], 1_700_000_000);
  // The rows that keep their output (the start's) mix a latin1 value with the new utf8mb4 ones.
  assert.deepEqual(
    await store.markRunningAndDone([next], 1_700_000_050, [{
      id: ended,
      finishedAt: 1_700_000_100,
      outcome: { result: "ok", code: 0, signal: null, stdout: "café € 日本 ok", stderr: "" },
    }]),
    { notAccepted: [], notRunning: [] },
  );
  const [end, start] = await db.rows([ended, next]);
  assert.deepEqual([end.status, end.stdout, end.stderr], ["done", "café € ?? ok", ""]);
  assert.equal(start.status, "running");
});

Deno.test("mysql: a start and the result it carries are one statement", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [ended, next] = await db.insertJobs("build", 2);
  await store.claimWaiting(new Map([["build", 2]]));
  await store.markRunning([ended], 1_700_000_000);
  const updates = async () =>
    Number(
      (await db.query("SHOW GLOBAL STATUS WHERE Variable_name = 'Com_update'"))[0].Value,
    );
  const before = await updates();
  await store.markRunningAndDone([next], 1_700_000_050, [{
    id: ended,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok", code: 0, signal: null, stdout: "out", stderr: "" },
  }]);
  assert.equal(await updates() - before, 1);
  assert.deepEqual((await db.rows([ended, next])).map((row) => row.status), ["done", "running"]);
});

Deno.test("mysql: claimed jobs carry the target as requested, whatever spelling the collation matched", async () => {
  await using db = await openTestDatabase();
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [id] = await db.insertJobs("build", 1);
  assert.deepEqual(await store.claimWaiting(new Map([["BUILD", 5]])), [
    { id, target: "BUILD", origin: "waiting" },
  ]);
});

Deno.test("mysql: a row that several served names match (case, trailing spaces) is claimed once", async () => {
  await using db = await openTestDatabase();
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 3);
  // Under the table's case-insensitive, PAD SPACE collation the three names are one.
  const claimed = await store.claimWaiting(new Map([["build", 2], ["BUILD", 2], ["build ", 2]]));
  assert.deepEqual(claimed.map((job) => job.id).sort((a, b) => a - b), ids.slice(0, 2));
  assert.deepEqual((await db.rows(ids)).map((row) => row.status), [
    "accepted",
    "accepted",
    "waiting",
  ]);
  assert.equal((await store.claimWaiting(new Map([["build", 5]]))).length, 1);
});

Deno.test("mysql: one claim takes 150,000 rows of 1,500 targets", async () => {
  await using db = await openTestDatabase();
  await using store = await openMysqlStore(db.storeOptions("w"));
  // MariaDB's sequence engine: 150,000 waiting rows, 100 per target, in one statement.
  await db.query(
    `INSERT INTO ${quoteIdentifier(db.table)} (target, status, time_created)
       SELECT CONCAT('t', seq DIV 100), 'waiting', 1700000000 FROM seq_0_to_149999`,
  );
  const limits = new Map(Array.from({ length: 1500 }, (_, i) => [`t${i}`, 100]));
  const claimed = await store.claimWaiting(limits);
  assert.equal(claimed.length, 150_000);
  assert.equal(new Set(claimed.map((job) => job.id)).size, 150_000);
  assert.deepEqual([claimed[0].target, claimed[149_999].target], ["t0", "t1499"]);
  const [{ accepted }] = await db.query(
    `SELECT COUNT(*) AS accepted FROM ${quoteIdentifier(db.table)} WHERE status = 'accepted'`,
  );
  assert.equal(Number(accepted), 150_000);
});

Deno.test("mysql: one claim, one running mark and one final write serve many jobs of several targets", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = [...await db.insertJobs("build", 3), ...await db.insertJobs("deploy", 3)];
  const before = await statementCounts(db);
  const claimed = await store.claimWaiting(new Map([["build", 3], ["deploy", 3]]));
  assert.equal(claimed.length, 6);
  assert.deepEqual(await store.markRunning(ids, 1_700_000_000), []);
  assert.deepEqual(await store.markDone(ids.map(endOf)), []);
  // The claim: one read for both targets and one UPDATE, in one transaction;
  // then one UPDATE for all the starts and one for all the ends.
  const { begin, select, update } = statementsBetween(before, await statementCounts(db));
  assert.deepEqual({ begin, select, update }, { begin: 1, select: 1, update: 3 });
  assert.deepEqual(
    (await db.rows(ids)).map((row) => [row.status, row.stdout]),
    ids.map((id) => ["done", `out ${id}`]),
  );
});

/** The server's counts of BEGIN, SELECT, UPDATE and COMMIT statements so far (all sessions). */
async function statementCounts(db: TestDatabase) {
  const rows = await db.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN " +
      "('Com_select', 'Com_update', 'Com_begin', 'Com_commit')",
  );
  const counts = Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
  return {
    begin: counts.Com_begin,
    select: counts.Com_select,
    update: counts.Com_update,
    commit: counts.Com_commit,
  };
}

/** What was counted between `before` and `after` (statementCounts). */
function statementsBetween(
  before: Awaited<ReturnType<typeof statementCounts>>,
  after: Awaited<ReturnType<typeof statementCounts>>,
) {
  return {
    begin: after.begin - before.begin,
    select: after.select - before.select,
    update: after.update - before.update,
    commit: after.commit - before.commit,
  };
}

/**
 * Since `before`, one claim (one locking read, one UPDATE, one commit) took
 * the three `ids` and started the first two with no running mark of their
 * own, and one UPDATE stored both their ends; the third waits `accepted`.
 */
async function assertTwoStartedByTheirClaim(
  db: TestDatabase,
  before: Awaited<ReturnType<typeof statementCounts>>,
  ids: readonly number[],
): Promise<void> {
  assert.deepEqual(statementsBetween(before, await statementCounts(db)), {
    begin: 1,
    select: 1,
    update: 2,
    commit: 1,
  });
  assert.deepEqual((await db.rows([...ids])).map((row) => [row.status, row.worker]), [
    ["done", "w"],
    ["done", "w"],
    ["accepted", "w"],
  ]);
}

/** An ended job's row write. */
function endOf(id: number) {
  return {
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok" as const, code: 0, signal: null, stdout: `out ${id}`, stderr: "" },
  };
}

Deno.test("mysql: jobs that start with their claim cost no statement and no commit of their own", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true, privateServer: true });
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 3);
  const before = await statementCounts(db);
  const claimed = await store.claimWaiting(
    new Map([["build", 3]]),
    new Map([["build", 2]]),
    1_700_000_000,
  );
  assert.deepEqual(claimed.map((job) => job.running ?? false), [true, true, false]);
  const started = ids.slice(0, 2);
  assert.deepEqual(await store.markDone(started.map(endOf)), []);
  await assertTwoStartedByTheirClaim(db, before, ids);
});

Deno.test("mysql: a run-manual job's claim and start are one transaction", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true, privateServer: true });
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 3, "manual");
  const before = await statementCounts(db);
  const claim = await store.claimManual(
    ids,
    new Set(["build"]),
    new Map([["build", 2]]),
    1_700_000_000,
  );
  assert.deepEqual(claim.claimed.map((job) => job.running ?? false), [true, true, false]);
  assert.deepEqual(await store.markDone(ids.slice(0, 2).map(endOf)), []);
  await assertTwoStartedByTheirClaim(db, before, ids);
});

Deno.test("mysql: a batch of results with one output its column refuses stores the others in full", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY stdout varchar(100) CHARACTER SET cp1251 DEFAULT NULL");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 3);
  await store.claimWaiting(new Map([["build", 3]]));
  await store.markRunning(ids, 1_700_000_000);
  const end = (id: number, stdout: string) => ({
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok" as const, code: 0, signal: null, stdout, stderr: "" },
  });
  assert.deepEqual(
    await store.markDone([end(ids[0], "short"), end(ids[1], "checked ✓"), end(ids[2], "fits")]),
    [],
  );
  const rows = await db.rows(ids);
  assert.deepEqual(rows.map((row) => [row.status, row.stdout]), [
    ["done", "short"],
    ["done", ""],
    ["done", "fits"],
  ]);
  assert.match(
    rows[1].stderr ?? "",
    /^\[jobd: output not stored: Incorrect string value/,
  );
});

Deno.test("mysql: results too big for one packet together are written by several statements", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  // Every connection opened from now on gets this limit.
  await db.query("SET GLOBAL max_allowed_packet = 2 * 1024 * 1024");
  await using store = await openMysqlStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 3);
  await store.claimWaiting(new Map([["build", 3]]));
  await store.markRunning(ids, 1_700_000_000);
  const outputs = ids.map((id) => `${id}:`.padEnd(800_000, "o"));
  assert.deepEqual(
    await store.markDone(ids.map((id, index) => ({
      id,
      finishedAt: 1_700_000_100,
      outcome: { result: "ok", code: 0, signal: null, stdout: outputs[index], stderr: "" },
    }))),
    [],
  );
  assert.deepEqual((await db.rows(ids)).map((row) => row.stdout), outputs);
});

Deno.test("mysql: a server error about the request is not transient", async () => {
  await using db = await openTestDatabase();
  const error = await db.query("SELEC 1").catch((error: unknown) => error);
  assert.equal((error as { errno?: number }).errno, 1064);
  assert.equal(isTransientStorageError(error), false);
  assert.equal(isTransientStorageError(new StorageError("Cannot x: y", { cause: error })), false);
});

Deno.test("mysql: the store works again after the server restarts, and the outage is transient", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  const server = db.server!;
  await using store = await openMysqlStore(db.storeOptions("w"));
  const [first, second] = await db.insertJobs("build", 2);
  assert.deepEqual((await store.claimWaiting(new Map([["build", 1]]))).map((job) => job.id), [
    first,
  ]);

  await server.stop();
  const outage = await storageError(store.markRunning([first], 1_700_000_000));
  assert.match(outage.message, /^Cannot mark job \d+ running in table 'jobs'/);
  assert.equal(isTransientStorageError(outage), true);

  await server.start();
  assert.deepEqual(await store.markRunning([first], 1_700_000_000), []);
  assert.deepEqual((await store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id), [
    second,
  ]);
});
