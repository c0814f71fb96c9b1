/**
 * The MySQL store's time limit on statements: a server that stops answering
 * without closing its connections (frozen with SIGSTOP, as a host behind a
 * network partition would be) makes operations fail with a transient error
 * instead of waiting for hours, and the store works again once the server
 * answers.
 */

import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { RowDataPacket } from "mysql2/promise";
import { isTransientStorageError, StorageError } from "../src/storage/errors.ts";
import { openMysqlStore } from "../src/storage/mysql_store.ts";
import { createPool } from "../src/storage/mysql/pool.ts";
import { QueryTimeout, runQuery } from "../src/storage/mysql/query.ts";
import type { MariaDbServer } from "../scripts/mariadb.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { storageError } from "./storage_conformance/mod.ts";
import { freeze } from "./helpers/processes.ts";

/**
 * How long a test waits for an operation that should fail after a 1 s time
 * limit before calling it hung. Generous: it only keeps a broken time limit
 * from leaving the test (and the frozen server) waiting forever.
 */
const HANG_GUARD_MS = 20_000;

/** `promise`, or a failure naming `what` if it has not settled after `HANG_GUARD_MS`. */
async function unlessHung<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} still waiting after ${HANG_GUARD_MS / 1000} s`)),
      HANG_GUARD_MS,
    );
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` while `server` is frozen (SIGSTOP); always lets it go on (SIGCONT) after. */
async function whileFrozen<T>(server: MariaDbServer, work: () => Promise<T>): Promise<T> {
  const pid = server.pid;
  assert.notEqual(pid, undefined, "the private server must be running");
  await freeze(pid!);
  try {
    return await work();
  } finally {
    Deno.kill(pid!, "SIGCONT");
  }
}

interface OneRow extends RowDataPacket {
  one: number;
}

const FINISHED = {
  finishedAt: 1_700_000_100,
  outcome: { result: "ok" as const, code: 0, signal: null, stdout: "out", stderr: "" },
};

Deno.test("mysql: operations on a frozen server time out as transient errors, then work again", async () => {
  await using db = await openTestDatabase({ privateServer: true, withWorkerColumn: true });
  await using store = await openMysqlStore({
    ...db.storeOptions("w"),
    poolSize: 2,
    queryTimeoutMs: 1_000,
  });
  const [first, second, third] = await db.insertJobs("build", 3);
  // Two operations at once leave two open connections in the pool, so the operations on
  // the frozen server below do not have to connect (which has a limit of its own, 10 s).
  const [claimed] = await Promise.all([
    store.claimWaiting(new Map([["build", 1]])),
    store.findLeftBehind(),
  ]);
  assert.deepEqual(claimed.map((job) => job.id), [first]);
  assert.deepEqual(await store.markRunning([first], 1_700_000_000), []);

  const [claim, write] = await whileFrozen(db.server!, () =>
    unlessHung(
      "claimWaiting and markDone on a frozen server",
      Promise.all([
        storageError(store.claimWaiting(new Map([["build", 1]]))),
        storageError(store.markDone([{ id: first, ...FINISHED }])),
      ]),
    ));
  const where = `in table 'jobs' of database '${db.database}'`;
  assert.equal(
    claim.message,
    `Cannot claim waiting jobs of target 'build' ${where}: the query timed out after 1 s`,
  );
  assert.equal(
    write.message,
    `Cannot mark job ${first} done ${where}: the query timed out after 1 s`,
  );
  for (const error of [claim, write]) {
    assert.equal(isTransientStorageError(error), true, error.message);
    assert.equal(error.code, "PROTOCOL_SEQUENCE_TIMEOUT");
  }

  // The server now runs what it received while frozen, and rolls back the claim whose
  // connection is gone; a locking read waits for that.
  await db.query("SELECT id FROM jobs WHERE id = ? FOR UPDATE", [second]);
  const rest = await store.claimWaiting(new Map([["build", 5]]));
  assert.deepEqual(rest.map((job) => job.id), [second, third]);
  for (const id of [second, third]) {
    assert.deepEqual(await store.markRunning([id], 1_700_000_000), []);
  }
  assert.deepEqual(
    await store.markDone([{ id: second, ...FINISHED }, { id: third, ...FINISHED }]),
    [],
  );
  const rows = await db.rows([second, third]);
  assert.deepEqual(rows.map((row) => [row.status, row.result, row.stdout]), [
    ["done", "ok", "out"],
    ["done", "ok", "out"],
  ]);
});

Deno.test("mysql: closing while a statement waits on a frozen server ends once it times out", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  const store = await openMysqlStore({ ...db.storeOptions("w"), queryTimeoutMs: 1_000 });
  const [id] = await db.insertJobs("build", 1, "accepted");
  await whileFrozen(db.server!, async () => {
    const marking = storageError(store.markRunning([id], 1_700_000_000));
    // Its connection is handed over and the statement sent before any timer fires.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await unlessHung("close on a frozen server", store.close());
    const error = await marking;
    assert.match(error.message, /^Cannot mark job \d+ running .*: the query timed out after 1 s$/);
    assert.equal(isTransientStorageError(error), true);
  });
  await assert.rejects(store.markRunning([id], 1_700_000_000), /the store is closed/);
});

Deno.test("mysql: a slow statement times out and its connection never returns to the pool", async () => {
  await using db = await openTestDatabase();
  const pool = createPool(
    { ...db.storeOptions("w"), poolSize: 1, queryTimeoutMs: 500 },
    getLogger(["jobd", "test"]),
  );
  try {
    const connection = await pool.getConnection();
    const threadId = connection.threadId;
    const slow = runQuery(connection, 500, "SELECT SLEEP(5)");
    // Queued behind the slow one, with a limit far away: it fails with it rather than wait.
    const queued = runQuery(connection, 60_000, "SELECT 1");
    await assert.rejects(slow, new QueryTimeout(500));
    await assert.rejects(queued, QueryTimeout);
    connection.release();

    const next = await pool.getConnection();
    try {
      assert.notEqual(next.threadId, threadId);
      const rows = await runQuery<OneRow[]>(next, 500, "SELECT 1 AS one");
      assert.equal(rows[0].one, 1);
    } finally {
      next.release();
    }
  } finally {
    await pool.end();
  }
});

Deno.test("mysql: the query timeout must be at least 1 ms", async () => {
  for (const queryTimeoutMs of [0, -5, Number.NaN]) {
    await assert.rejects(
      openMysqlStore({
        host: "127.0.0.1",
        port: 1,
        user: "u",
        password: "p",
        database: "d",
        table: "jobs",
        workerName: "w",
        queryTimeoutMs,
      }),
      new StorageError(
        `Cannot open the job store: the query timeout must be at least 1 ms, got ${queryTimeoutMs}`,
      ),
    );
  }
});
