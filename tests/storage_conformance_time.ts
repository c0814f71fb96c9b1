/**
 * The part of the storage conformance suite (`storage_conformance.ts`) about
 * deferred jobs, timeouts and retries: the optional columns `time_run_at`,
 * `timeout`, `attempts`, `max_attempts` and the status `delayed`. Every
 * `JobStore` runs it through `defineJobStoreConformance`.
 */

import assert from "node:assert/strict";
import type { FinishedJob } from "../src/storage/job_store.ts";
import type { OpenStoreFixture, StoreFixture } from "./storage_conformance.ts";

const WORKER = "worker-a";

/** Unix seconds, now. */
function now(): number {
  return Math.floor(Date.now() / 1000);
}

function failedAttempt(id: number, retryAt: number, finishedAt = 1_700_000_200): FinishedJob {
  return {
    id,
    finishedAt,
    retryAt,
    outcome: { result: "fail", code: 75, signal: null, stdout: "out 1", stderr: "err 1" },
  };
}

/** Registers the time tests, named `NAME: ...`, for one implementation. */
export function defineTimeConformance(name: string, open: OpenStoreFixture): void {
  const test = (
    title: string,
    options: { withWorkerColumn?: boolean; withTimeColumns?: boolean },
    body: (fixture: StoreFixture) => Promise<void>,
  ) => {
    Deno.test(`${name}: ${title}`, async () => {
      await using fixture = await open({
        workerName: WORKER,
        withWorkerColumn: options.withWorkerColumn ?? false,
        withTimeColumns: options.withTimeColumns ?? true,
      });
      await body(fixture);
    });
  };

  test("a table without the time columns turns no time feature on", {
    withTimeColumns: false,
  }, async (f) => {
    assert.deepEqual(f.store.timeFeatures, {
      deferred: false,
      rowTimeout: false,
      retries: false,
      rowMaxAttempts: false,
    });
    assert.deepEqual([...f.store.timeColumns.columns], []);
    const [id] = await f.insert("build", 1);
    // Nothing beyond id, target and origin: the claim reads no other column.
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 1]])), [
      { id, target: "build", origin: "waiting" },
    ]);
    assert.equal(await f.store.promoteDelayed(["build"], now(), 10), 0);
    assert.deepEqual(await f.store.countDelayed(["build"]), new Map());
    await assert.rejects(
      f.store.markDone([failedAttempt(id, now())]),
      /the table has no columns for retries/,
    );
  });

  test("the schema file's time columns turn every time feature on", {}, async (f) => {
    assert.deepEqual(f.store.timeFeatures, {
      deferred: true,
      rowTimeout: true,
      retries: true,
      rowMaxAttempts: true,
    });
    assert.equal(f.store.timeColumns.delayedStatus, true);
    assert.deepEqual(await f.store.countDelayed(["build"]), new Map());
  });

  test("claims carry each row's timeout, attempts and max_attempts", {}, async (f) => {
    const [plain, limited] = await f.insert("build", 2);
    await f.table.setColumns([limited], { timeout: 30, max_attempts: 4 });
    const claimed = await f.store.claimWaiting(new Map([["build", 5]]));
    assert.deepEqual(claimed.map((job) => [job.id, job.row]), [
      [plain, { timeout: null, attempts: 0, maxAttempts: null }],
      [limited, { timeout: 30, attempts: 0, maxAttempts: 4 }],
    ]);
    const [manual] = await f.insert("build", 1, "manual");
    await f.table.setColumns([manual], { timeout: 0 });
    const claim = await f.store.claimManual([manual], new Set(["build"]));
    assert.deepEqual(claim.claimed[0].row, { timeout: 0, attempts: 0, maxAttempts: null });
  });

  test("each start counts an attempt", {}, async (f) => {
    const [id] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));
    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    // The same call again after a lost reply counts nothing more.
    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    assert.deepEqual(await f.table.readColumns([id], ["attempts"]), [{ id, attempts: 1 }]);
  });

  test("a waiting claim never takes delayed rows, due or not", {}, async (f) => {
    const delayed = await f.insert("build", 2, "delayed");
    await f.table.setColumns(delayed, { time_run_at: now() - 60 });
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 5]])), []);
    assert.ok((await f.rows(delayed)).every((row) => row.status === "delayed"));
  });

  test(
    "promoteDelayed sets due delayed rows of the given targets waiting, up to the limit",
    {},
    async (f) => {
      const due = await f.insert("build", 3, "delayed");
      await f.table.setColumns(due, { time_run_at: 1_700_000_000 });
      const future = await f.insert("build", 1, "delayed");
      await f.table.setColumns(future, { time_run_at: 1_700_000_100 });
      const other = await f.insert("deploy", 1, "delayed");
      await f.table.setColumns(other, { time_run_at: 1_700_000_000 });

      assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 2);
      assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 1);
      assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 0);
      assert.deepEqual((await f.rows(due)).map((row) => row.status), [
        "waiting",
        "waiting",
        "waiting",
      ]);
      assert.equal((await f.rows(future))[0].status, "delayed");
      assert.equal((await f.rows(other))[0].status, "delayed");
      // Promoted rows are claimed like any waiting row.
      assert.deepEqual(
        (await f.store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id),
        due,
      );
      // At its time_run_at, a row is due.
      assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_100, 10), 1);
    },
  );

  test("two workers promoting at once promote each due row once", {
    withWorkerColumn: true,
  }, async (f) => {
    const due = await f.insert("build", 40, "delayed");
    await f.table.setColumns(due, { time_run_at: 1_700_000_000 });
    const peer = await f.openPeer("worker-b");
    const promote = async (store: typeof peer) => {
      let total = 0;
      for (let n = -1; n !== 0; total += n) n = await store.promoteDelayed(["build"], now(), 7);
      return total;
    };
    const [mine, theirs] = await Promise.all([promote(f.store), promote(peer)]);
    assert.equal(mine + theirs, due.length);
    assert.ok((await f.rows(due)).every((row) => row.status === "waiting"));
  });

  test("countDelayed gives each target's delayed count and earliest run time", {}, async (f) => {
    const builds = await f.insert("build", 3, "delayed");
    await f.table.setColumns(builds.slice(0, 2), { time_run_at: 1_700_000_500 });
    await f.table.setColumns(builds.slice(2), { time_run_at: 1_700_000_300 });
    const [deploy] = await f.insert("deploy", 1, "delayed");
    await f.table.setColumns([deploy], { time_run_at: 1_700_000_900 });
    await f.insert("build", 2); // waiting rows are not counted
    assert.deepEqual(
      await f.store.countDelayed(["build", "deploy", "check"]),
      new Map([
        ["build", { count: 3, next: 1_700_000_300 }],
        ["deploy", { count: 1, next: 1_700_000_900 }],
      ]),
    );
  });

  test("markDone with retryAt keeps the attempt's result and sets the row delayed", {
    withWorkerColumn: true,
  }, async (f) => {
    const [retried, done] = await f.insert("build", 2);
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([retried, done], 1_700_000_000);
    const finished: FinishedJob = {
      id: done,
      finishedAt: 1_700_000_200,
      outcome: { result: "ok", code: 0, signal: null, stdout: "", stderr: "" },
    };
    const attempt = failedAttempt(retried, 1_700_000_260);
    assert.deepEqual(await f.store.markDone([attempt, finished]), []);
    const [row] = await f.rows([retried]);
    assert.deepEqual(
      [row.status, row.result, row.return_code, row.sig, row.stdout, row.stderr, row.time_finished],
      ["delayed", "fail", 75, null, "out 1", "err 1", 1_700_000_200],
    );
    assert.deepEqual(await f.table.readColumns([retried], ["time_run_at", "attempts"]), [
      { id: retried, time_run_at: 1_700_000_260, attempts: 1 },
    ]);
    assert.equal((await f.rows([done]))[0].status, "done");
    // The same write again (its reply lost) counts as written; another row is untouched.
    assert.deepEqual(await f.store.markDone([attempt]), []);
    const [waiting] = await f.insert("build", 1);
    assert.deepEqual(await f.store.markDone([failedAttempt(waiting, 1_700_000_260)]), [waiting]);
    assert.equal((await f.rows([waiting]))[0].status, "waiting");
    // Due, the row is promoted, claimed and started again: its second attempt.
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_260, 10), 1);
    await f.store.claimWaiting(new Map([["build", 5]]));
    await f.store.markRunning([retried], 1_700_000_270);
    assert.deepEqual(await f.table.readColumns([retried], ["attempts"]), [
      { id: retried, attempts: 2 },
    ]);
  });

  test(
    "rows left behind carry their attempts and limits",
    { withWorkerColumn: true },
    async (f) => {
      const [id] = await f.insert("build", 1);
      await f.table.setColumns([id], { max_attempts: 3 });
      await f.store.claimWaiting(new Map([["build", 1]]));
      await f.store.markRunning([id], 1_700_000_000);
      assert.deepEqual(await f.store.findLeftBehind(), [
        {
          id,
          target: "build",
          status: "running",
          row: { timeout: null, attempts: 1, maxAttempts: 3 },
        },
      ]);
    },
  );
}
