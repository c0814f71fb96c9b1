/**
 * One worker per name: a worker holds a lock on its `name` in the database
 * before it reads or changes a row, so a second worker started with the
 * same name (the default name is the host name) stops, naming the first,
 * and leaves the first one's jobs alone. On MySQL the lock lives on a
 * connection of its own; while that is lost, the worker claims nothing.
 */

import assert from "node:assert/strict";
import type { RowDataPacket } from "mysql2/promise";
import { lockMysqlWorkerName, nameLockKey } from "../src/storage/mysql/name_lock.ts";
import { killNameLockHolder, openTestDatabase } from "./helpers/database.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import { freePort, waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";
import { runWorkerToExit } from "./helpers/worker_exit.ts";

/**
 * A job script that runs until `$JOB_DIR/go` exists, then prints its
 * result: the test decides when the first worker's job ends.
 */
const WAIT_FOR_GO = 'while [ ! -e "$JOB_DIR/go" ]; do sleep 0.05; done; echo "the real result"';

function defineSecondWorkerTest(
  prefix: string,
  openTable: () => Promise<TestJobsTable>,
  holder: (first: { port: number }) => RegExp,
): void {
  Deno.test(`${prefix}a second worker with the same name stops, naming it and the first, and changes nothing`, async () => {
    await using db = await openTable();
    const [id] = await db.insertJobs("t1", 1);
    await using first = await startWorker(db, { targets: { t1: 1 } });
    await first.script(id, WAIT_FOR_GO);
    await first.client.poll();
    await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");

    const dir = await Deno.makeTempDir({ prefix: "jobd-second-" });
    try {
      const configPath = `${dir}/jobd.conf`;
      const port = freePort();
      // With requeue, a second worker's recovery would put the running job back to run again.
      const config = { recover_running: "requeue", poll_interval: 60 };
      await Deno.writeTextFile(
        configPath,
        workerConfig(db, port, first.jobDir, { targets: { t1: 1 }, config }),
      );
      const second = await runWorkerToExit(configPath);

      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /The worker name 'test-worker' is in use by another worker/);
      assert.match(second.stderr, holder(first));
      const [row] = await db.rows([id]);
      assert.equal(row.status, "running", "the first worker's running job is left alone");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }

    await Deno.writeTextFile(`${first.jobDir}/go`, "");
    const [row] = await waitForDone(db, [id]);
    assert.equal(row.result, "ok");
    assert.equal(row.stdout, "the real result\n", "the first worker's result is stored");
    assert.deepEqual(await first.events(), [`start ${id}`, `end ${id}`], "it ran once");
  });
}

defineSecondWorkerTest(
  "mysql: ",
  () => openTestDatabase({ withWorkerColumn: true }),
  () => /its database connection \d+ from 127\.0\.0\.1:\d+/,
);

defineSecondWorkerTest(
  "sqlite: ",
  () => openTestSqliteDatabase({ withWorkerColumn: true }),
  (first) => new RegExp(`process \\d+ on host '[^']+' listening on 127\\.0\\.0\\.1:${first.port}`),
);

Deno.test("sqlite: the lock on a name dies with its worker: a worker of that name starts after a kill", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const first = await startWorker(db);
  first.process.kill("SIGKILL");
  await first[Symbol.asyncDispose]();
  await using second = await startWorker(db);
  assert.deepEqual(Object.keys((await second.client.status()).targets), ["t1"]);
});

Deno.test("mysql: while the name lock's connection is lost the worker claims and starts nothing, then goes on", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const key = nameLockKey(db.database, db.table, "test-worker");
  // The test's own session: it ends the worker's lock connection and takes the lock itself.
  const session = await db.session();
  try {
    // A job claimed before the loss, held back by a pause: it must not start without the lock.
    await worker.client.pause(["t1"]);
    const [queued] = await db.insertJobs("t1", 1);
    await worker.client.poll();
    await waitFor(
      "the claimed job",
      async () => (await db.rows([queued]))[0].status === "accepted",
    );
    // Throws when nobody holds it: the worker holds the lock on its name.
    await killNameLockHolder(session, db, "test-worker");
    const [[{ got }]] = await session.query<RowDataPacket[]>(
      "SELECT GET_LOCK(?, 10) AS got",
      [key],
    );
    assert.equal(Number(got), 1);
    await waitFor(
      "the warning about the lost lock",
      () => /Lost the lock on the worker name .*test-worker/.test(worker.process.stderrSoFar),
    );

    const ids = await db.insertJobs("t1", 2);
    await worker.client.continue(["t1"]);
    await worker.client.poll();
    const [manual] = await db.insertJobs("t1", 1, "manual");
    const refused = await worker.client.runManual([manual]).catch((error) => error);
    assert.match(String(refused), /the lock on the worker name 'test-worker' was lost/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(
      (await db.rows([queued, ...ids, manual])).map((row) => row.status),
      ["accepted", "waiting", "waiting", "manual"],
      "nothing is claimed or started without the lock",
    );

    await session.query("DO RELEASE_LOCK(?)", [key]);
    await waitForDone(db, [queued, ...ids]);
    assert.match(worker.process.stderrSoFar, /Holding the lock on the worker name .*again/);
  } finally {
    await session.end();
  }
});

Deno.test("mysql: a lost name lock waiting out its backoff is taken again at once when the worker asks (the database answers again)", async () => {
  await using db = await openTestDatabase();
  let lost = false;
  let regained = false;
  const lock = await lockMysqlWorkerName({
    ...db.storeOptions("w-retry"),
    // A wait far longer than the test: only retryNow() takes the lock again in time.
    retakeBackoff: { firstMs: 3_600_000, maxMs: 3_600_000 },
  }, { onLost: () => lost = true, onRegained: () => regained = true });
  const session = await db.session();
  try {
    await killNameLockHolder(session, db, "w-retry");
    await waitFor("the lock lost", () => lost);
    assert.equal(lock.held, false);

    lock.retryNow();
    await waitFor("the lock taken again", () => regained);
    assert.equal(lock.held, true);
  } finally {
    await session.end();
    await lock.release();
  }
});
