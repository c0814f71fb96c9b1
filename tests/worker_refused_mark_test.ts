/**
 * A running mark the database refuses for a reason a retry cannot fix (here
 * a trigger refusing one job): the other jobs of the batch are marked alone
 * and run, and the refused job's row is not left `accepted`: it goes back to
 * `waiting` after a backoff, logged with its id, and runs once the database
 * takes it again.
 */

import assert from "node:assert/strict";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import { waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase, type TestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";

/** A trigger that makes setting row `id` (or every row) running fail, and how to drop it. */
interface RefusingTrigger {
  create(): Promise<unknown>;
  drop(): Promise<unknown>;
}

function mysqlTrigger(db: TestDatabase, id: number | "every"): RefusingTrigger {
  const which = id === "every" ? "" : `NEW.id = ${id} AND `;
  return {
    create: () =>
      db.query(`CREATE TRIGGER refuse_running BEFORE UPDATE ON ${db.table} FOR EACH ROW
        IF ${which}NEW.status = 'running' THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'job ${id} may not run';
        END IF`),
    drop: () => db.query("DROP TRIGGER refuse_running"),
  };
}

function sqliteTrigger(db: TestSqliteDatabase, id: number | "every"): RefusingTrigger {
  const which = id === "every" ? "" : `NEW.id = ${id} AND `;
  return {
    create: () =>
      db.query(`CREATE TRIGGER refuse_running BEFORE UPDATE OF status ON ${db.table} FOR EACH ROW
        WHEN ${which}NEW.status = 'running'
        BEGIN SELECT RAISE(ABORT, 'job ${id} may not run'); END`),
    drop: () => db.query("DROP TRIGGER refuse_running"),
  };
}

function defineRefusedMarkTest<T extends TestJobsTable>(
  prefix: string,
  openTable: () => Promise<T>,
  trigger: (db: T, id: number | "every") => RefusingTrigger,
): void {
  Deno.test(`${prefix}a refused running mark releases that job and the others run`, async () => {
    await using db = await openTable();
    const [first, bad, ...rest] = await db.insertJobs("t1", 6);
    const refusing = trigger(db, bad);
    await refusing.create();
    // Two slots: the first claim's batch holds `first` and `bad`.
    await using worker = await startWorker(db, { targets: { t1: 2 } });

    await worker.client.poll();
    await waitForDone(db, [first, ...rest], 30);
    await waitFor(
      "the refusal logged with the job's id",
      () =>
        new RegExp(
          `Job ${bad} not started: cannot mark it running: .*job ${bad} may not run.*` +
            "releasing it in \\d+ ms",
        ).test(worker.process.stderrSoFar),
    );
    await waitFor(
      "the refused job back to waiting",
      async () => (await db.rows([bad]))[0].status === "waiting",
    );

    // Once the database takes it, it runs like any other.
    await refusing.drop();
    await worker.client.poll();
    const [row] = await waitForDone(db, [bad], 30);
    assert.equal(row.result, "ok");
  });

  Deno.test(`${prefix}a worker whose every running mark is refused holds no more jobs than its slots`, async () => {
    await using db = await openTable();
    const ids = await db.insertJobs("t1", 40);
    await trigger(db, "every").create();
    await using worker = await startWorker(db, { targets: { t1: 2 } });
    await worker.client.poll();
    let most = 0;
    await waitFor("four refusals", async () => {
      const rows = await db.rows(ids);
      most = Math.max(most, rows.filter((row) => row.status === "accepted").length);
      const refusals = worker.process.stderrSoFar.match(/cannot mark it running/g)?.length ?? 0;
      return refusals >= 4;
    });
    // The refused jobs keep their slots until released: claims wait with them.
    assert.ok(most <= 2, `${most} rows accepted by a worker with 2 slots`);
    const rows = await db.rows(ids);
    assert.ok(rows.filter((row) => row.status === "accepted").length <= 2);
  });
}

defineRefusedMarkTest("mysql: ", () => openTestDatabase(), mysqlTrigger);
defineRefusedMarkTest("sqlite: ", () => openTestSqliteDatabase(), sqliteTrigger);
