/**
 * The behaviour every `JobStore` keeps, as one suite each implementation
 * runs with its own fixture:
 *
 * ```ts
 * defineJobStoreConformance("mysql", async ({ workerName, withWorkerColumn }) => {
 *   const db = await openTestDatabase({ withWorkerColumn });
 *   return await storeFixture(db, {
 *     workerName,
 *     where: `table '${db.table}' of database '${db.database}'`,
 *     open: (name) => openMysqlStore(db.storeOptions(name)),
 *   });
 * });
 * ```
 *
 * A fixture is an empty jobs table, a store on it under `workerName`, and
 * direct access to the rows (inserting, reading) that does not go through the
 * store.
 */

import assert from "node:assert/strict";
import { isTransientStorageError, StorageError } from "../src/storage/errors.ts";
import type { ClaimedJob, JobStatus } from "../src/job.ts";
import type { FinishedJob, JobStore } from "../src/storage/job_store.ts";
import type { JobRow, TestJobsTable } from "./helpers/jobs_table.ts";

/** An empty jobs table and a store on it, for one test. */
export interface StoreFixture extends AsyncDisposable {
  /** The store under test, claiming as `workerName`. */
  readonly store: JobStore;
  /** The table as the store's errors name it: `table 'jobs' of database 'jobd_test_…'`. */
  readonly where: string;
  /** Inserts `count` rows of `target` in `status` (default `waiting`); returns their ids, ascending. */
  insert(target: string, count: number, status?: JobStatus): Promise<number[]>;
  /** Reads rows by id (all rows when omitted), by id. */
  rows(ids?: readonly number[]): Promise<JobRow[]>;
  /** Opens a second store on the same table under another worker name; closed with the fixture. */
  openPeer(workerName: string): Promise<JobStore>;
}

/** Makes a fixture: a fresh table, with the optional owner column or without. */
export type OpenStoreFixture = (options: {
  workerName: string;
  withWorkerColumn: boolean;
}) => Promise<StoreFixture>;

/** Options of `storeFixture`. */
export interface StoreFixtureOptions {
  /** The worker name of the store under test. */
  workerName: string;
  /** The table as the store's errors name it (`StoreFixture.where`). */
  where: string;
  /** Opens a store on the table under a worker name. */
  open: (workerName: string) => Promise<JobStore>;
}

/**
 * A fixture on the test table `db`, with stores that `options.open` makes.
 * Disposing it closes the stores, then `db`; so does a failure to open the
 * first store.
 */
export async function storeFixture(
  db: TestJobsTable,
  options: StoreFixtureOptions,
): Promise<StoreFixture> {
  const { workerName, where, open } = options;
  const stores: JobStore[] = [];
  try {
    stores.push(await open(workerName));
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
  return {
    store: stores[0],
    where,
    insert: (target, count, status) => db.insertJobs(target, count, status),
    rows: (ids) => db.rows(ids),
    async openPeer(peerName) {
      const peer = await open(peerName);
      stores.push(peer);
      return peer;
    },
    async [Symbol.asyncDispose]() {
      try {
        for (const store of stores) await store.close();
      } finally {
        await db[Symbol.asyncDispose]();
      }
    },
  };
}

/** The `StorageError` that `promise` rejects with; fails the test on a result or another error. */
export async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    (result) => assert.fail(`expected a StorageError, got the result ${Deno.inspect(result)}`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof StorageError, `expected a StorageError, got ${error}`);
  return error;
}

const WORKER = "worker-a";

function finished(id: number, overrides: Partial<FinishedJob["outcome"]> = {}): FinishedJob {
  return {
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok", code: 0, signal: null, stdout: "", stderr: "", ...overrides },
  };
}

/** Registers the conformance tests, named `NAME: ...`, for one implementation. */
export function defineJobStoreConformance(name: string, open: OpenStoreFixture): void {
  const test = (
    title: string,
    options: { withWorkerColumn?: boolean },
    body: (fixture: StoreFixture) => Promise<void>,
  ) => {
    Deno.test(`${name}: ${title}`, async () => {
      await using fixture = await open({
        workerName: WORKER,
        withWorkerColumn: options.withWorkerColumn ?? false,
      });
      await body(fixture);
    });
  };

  test("claimWaiting takes the lowest waiting ids first, up to the limit", {}, async (f) => {
    const ids = await f.insert("build", 5);
    const claimed = await f.store.claimWaiting(new Map([["build", 3]]));
    assert.deepEqual(
      claimed,
      ids.slice(0, 3).map((id) => ({ id, target: "build", origin: "waiting" })),
    );
    const statuses = (await f.rows(ids)).map((row) => row.status);
    assert.deepEqual(statuses, ["accepted", "accepted", "accepted", "waiting", "waiting"]);
  });

  test("claimWaiting returns what is left, then nothing", {}, async (f) => {
    const ids = await f.insert("build", 4);
    assert.deepEqual(
      (await f.store.claimWaiting(new Map([["build", 3]]))).map((job) => job.id),
      ids.slice(0, 3),
    );
    assert.deepEqual(
      (await f.store.claimWaiting(new Map([["build", 3]]))).map((job) => job.id),
      ids.slice(3),
    );
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 3]])), []);
    assert.deepEqual(await f.store.claimWaiting(new Map([["unknown-target", 3]])), []);
  });

  test("claimWaiting leaves rows of other targets and in other statuses", {}, async (f) => {
    const others = [
      ...await f.insert("deploy", 2),
      ...await f.insert("build", 1, "manual"),
      ...await f.insert("build", 1, "accepted"),
      ...await f.insert("build", 1, "running"),
      ...await f.insert("build", 1, "done"),
      ...await f.insert("build", 1, "ignored"),
    ];
    const before = await f.rows(others);
    const [wanted] = await f.insert("build", 1);
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 10]])), [
      { id: wanted, target: "build", origin: "waiting" },
    ]);
    assert.deepEqual(await f.rows(others), before);
  });

  test("claimWaiting refuses a limit below 1", {}, async (f) => {
    await assert.rejects(f.store.claimWaiting(new Map([["build", 0]])), /limit/);
  });

  test(
    "claimWaiting serves several targets in one call, each up to its own limit",
    {},
    async (f) => {
      const builds = await f.insert("build", 3);
      const deploys = await f.insert("deploy", 2);
      const [check] = await f.insert("check", 1);
      const claimed = await f.store.claimWaiting(
        new Map([["deploy", 1], ["build", 2], ["check", 5]]),
      );
      assert.deepEqual(claimed, [
        { id: deploys[0], target: "deploy", origin: "waiting" },
        { id: builds[0], target: "build", origin: "waiting" },
        { id: builds[1], target: "build", origin: "waiting" },
        { id: check, target: "check", origin: "waiting" },
      ]);
      const statuses = (await f.rows([...builds, ...deploys])).map((row) => row.status);
      assert.deepEqual(statuses, ["accepted", "accepted", "waiting", "accepted", "waiting"]);
      assert.deepEqual(await f.store.claimWaiting(new Map()), []);
    },
  );

  test("claimManual accepts manual rows of served targets, in id order", {}, async (f) => {
    const ids = await f.insert("build", 3, "manual");
    const claim = await f.store.claimManual([ids[2], ids[0], ids[1]], new Set(["build"]));
    assert.deepEqual(claim.claimed, ids.map((id) => ({ id, target: "build", origin: "manual" })));
    assert.equal(claim.errors.size, 0);
    assert.deepEqual((await f.rows(ids)).map((row) => row.status), [
      "accepted",
      "accepted",
      "accepted",
    ]);
  });

  test(
    "claimManual reports each id it cannot claim, and ignores only manual rows of other targets",
    {},
    async (f) => {
      const [served] = await f.insert("build", 1, "manual");
      const [unserved] = await f.insert("deploy", 1, "manual");
      const [done] = await f.insert("build", 1, "done");
      const [waiting] = await f.insert("build", 1, "waiting");
      const [running] = await f.insert("build", 1, "running");
      const missing = running + 1000;
      const untouched = await f.rows([done, waiting, running]);

      const claim = await f.store.claimManual(
        [missing, done, unserved, served, waiting, running],
        new Set(["build"]),
      );

      assert.deepEqual(claim.claimed, [{ id: served, target: "build", origin: "manual" }]);
      assert.deepEqual(
        claim.errors,
        new Map([
          [missing, `job ${missing} not found`],
          [done, "status = done != manual"],
          [unserved, `target 'deploy' not found (job id=${unserved})`],
          [waiting, "status = waiting != manual"],
          [running, "status = running != manual"],
        ]),
      );
      assert.equal((await f.rows([served]))[0].status, "accepted");
      assert.equal((await f.rows([unserved]))[0].status, "ignored");
      assert.deepEqual(await f.rows([done, waiting, running]), untouched);
    },
  );

  test("claimManual refuses an empty list of ids", {}, async (f) => {
    await assert.rejects(f.store.claimManual([], new Set(["build"])), /no job ids/);
  });

  test("markRunning starts an accepted row and refuses any other", {}, async (f) => {
    const [id] = await f.insert("build", 1);
    const [waiting] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));

    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    const [row] = await f.rows([id]);
    assert.equal(row.status, "running");
    assert.equal(row.time_started, 1_700_000_000);

    assert.deepEqual(await f.store.markRunning([id], 1_700_000_050), [id], "already running");
    assert.equal((await f.rows([id]))[0].time_started, 1_700_000_000);
    const before = await f.rows([waiting]);
    assert.deepEqual(
      await f.store.markRunning([waiting], 1_700_000_050),
      [waiting],
      "not accepted",
    );
    assert.deepEqual(await f.rows([waiting]), before);
  });

  test("markRunning starts the accepted rows of a batch and reports the others", {}, async (f) => {
    const ids = await f.insert("build", 3);
    const [waiting] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.release([{ id: ids[1], target: "build", origin: "waiting" }]);

    assert.deepEqual(await f.store.markRunning([...ids, waiting], 1_700_000_000), [
      ids[1],
      waiting,
    ]);
    const rows = await f.rows([...ids, waiting]);
    assert.deepEqual(rows.map((row) => row.status), ["running", "waiting", "running", "waiting"]);
    assert.deepEqual([rows[0].time_started, rows[2].time_started], [1_700_000_000, 1_700_000_000]);
  });

  for (const withWorkerColumn of [false, true]) {
    test(
      "markRunning and markDone repeated after a lost reply count their rows as written " +
        `(${withWorkerColumn ? "with" : "without"} the worker column)`,
      { withWorkerColumn },
      async (f) => {
        const ids = await f.insert("build", 2);
        await f.store.claimWaiting(new Map([["build", 2]]));
        await f.store.markRunning(ids, 1_700_000_000);
        assert.deepEqual(await f.store.markRunning(ids, 1_700_000_000), [], "same call again");
        assert.deepEqual(await f.store.markRunning(ids, 1_700_000_001), ids, "another call");

        const ends = [finished(ids[0]), finished(ids[1], { result: "fail", code: null })];
        assert.deepEqual(await f.store.markDone(ends), []);
        assert.deepEqual(await f.store.markDone(ends), [], "same call again");
        assert.deepEqual(
          await f.store.markDone([
            finished(ids[0], { code: 1 }),
            finished(ids[1], { signal: "SIGKILL" }),
          ]),
          ids,
          "another end",
        );
      },
    );
  }

  test(
    "rows another worker marked with the same values are not counted as this worker's",
    { withWorkerColumn: true },
    async (f) => {
      const ids = await f.insert("build", 2);
      const peer = await f.openPeer("worker-b");
      await peer.claimWaiting(new Map([["build", 2]]));
      await peer.markRunning(ids, 1_700_000_000);
      assert.deepEqual(await f.store.markRunning(ids, 1_700_000_000), ids);
      const ends = ids.map((id) => finished(id));
      await peer.markDone(ends);
      assert.deepEqual(await f.store.markDone(ends), ids);
    },
  );

  test(
    "a release, start or end retried after another worker claimed the row leaves the row alone",
    { withWorkerColumn: true },
    async (f) => {
      const [id] = await f.insert("build", 1);
      const job: ClaimedJob = { id, target: "build", origin: "waiting" };
      await f.store.claimWaiting(new Map([["build", 1]]));
      // Our release committed but its reply was lost; another worker claimed the row meanwhile.
      assert.deepEqual(await f.store.release([job]), []);
      const peer = await f.openPeer("worker-b");
      assert.deepEqual((await peer.claimWaiting(new Map([["build", 1]]))).map((j) => j.id), [id]);
      assert.deepEqual(await f.store.release([job]), [id], "release retried");
      assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), [id], "start");
      assert.deepEqual(await peer.markRunning([id], 1_700_000_001), []);
      assert.deepEqual(await f.store.markDone([finished(id)]), [id], "end");
      const [row] = await f.rows([id]);
      assert.equal(row.status, "running");
      assert.equal(row.time_started, 1_700_000_001);
      assert.equal(row.worker, "worker-b");
    },
  );

  test("markDone writes the end of each running job", {}, async (f) => {
    const ids = await f.insert("build", 3);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.markRunning(ids, 1_700_000_000);

    const notRunning = await f.store.markDone([
      finished(ids[0], { stdout: "built\n", stderr: "warning: héllo ✓ 日本\n" }),
      finished(ids[1], { result: "fail", code: 2, stderr: "boom" }),
      finished(ids[2], { result: "fail", code: null, signal: "SIGTERM" }),
    ]);

    assert.deepEqual(notRunning, []);
    const rows = await f.rows(ids);
    const ends = rows.map((
      { status, time_finished, result, return_code, sig, stdout, stderr },
    ) => ({
      status,
      time_finished,
      result,
      return_code,
      sig,
      stdout,
      stderr,
    }));
    assert.deepEqual(ends, [
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "ok",
        return_code: 0,
        sig: null,
        stdout: "built\n",
        stderr: "warning: héllo ✓ 日本\n",
      },
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "fail",
        return_code: 2,
        sig: null,
        stdout: "",
        stderr: "boom",
      },
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "fail",
        return_code: null,
        sig: "SIGTERM",
        stdout: "",
        stderr: "",
      },
    ]);
  });

  test("markDone reports rows that are not running and leaves them", {}, async (f) => {
    const [running, accepted] = await f.insert("build", 2);
    const [done] = await f.insert("build", 1, "done");
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([running], 1_700_000_000);
    const before = await f.rows([accepted, done]);

    const notRunning = await f.store.markDone([
      finished(accepted),
      finished(running),
      finished(done),
    ]);

    assert.deepEqual(notRunning, [accepted, done]);
    assert.equal((await f.rows([running]))[0].status, "done");
    assert.deepEqual(await f.rows([accepted, done]), before);
    assert.deepEqual(await f.store.markDone([]), []);
  });

  test("release gives accepted rows back to the status they were claimed from", {}, async (f) => {
    const [waiting, started] = await f.insert("build", 2);
    const [manual] = await f.insert("build", 1, "manual");
    const claimed: ClaimedJob[] = [
      ...await f.store.claimWaiting(new Map([["build", 2]])),
      ...(await f.store.claimManual([manual], new Set(["build"]))).claimed,
    ];
    await f.store.markRunning([started], 1_700_000_000);

    const notReleased = await f.store.release(claimed);

    assert.deepEqual(notReleased, [started]);
    assert.deepEqual(
      (await f.rows([waiting, started, manual])).map((row) => row.status),
      ["waiting", "running", "manual"],
    );
    assert.deepEqual((await f.store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id), [
      waiting,
    ]);
  });

  test("release from running gives running rows back (recover_running = requeue)", {
    withWorkerColumn: true,
  }, async (f) => {
    const [running, accepted] = await f.insert("build", 2);
    const claimed = await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([running], 1_700_000_000);

    assert.deepEqual(await f.store.release(claimed, "running"), [accepted]);

    const rows = await f.rows([running, accepted]);
    assert.deepEqual(rows.map((row) => [row.status, row.worker]), [
      ["waiting", null],
      ["accepted", rows[1].worker],
    ]);
    assert.notEqual(rows[1].worker, null, "the accepted row keeps its owner");
  });

  test("without an owner column nothing records owners or is found left behind", {}, async (f) => {
    assert.equal(f.store.tracksOwner, false);
    const [id] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));
    assert.equal((await f.rows([id]))[0].worker, null);
    assert.deepEqual(await f.store.findLeftBehind(), []);
  });

  test("claims record the owner, and findLeftBehind lists its accepted and running rows", {
    withWorkerColumn: true,
  }, async (f) => {
    assert.equal(f.store.tracksOwner, true);
    const [accepted, running, finishedId] = await f.insert("build", 3);
    const [manual] = await f.insert("deploy", 1, "manual");
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.claimManual([manual], new Set(["deploy"]));
    await f.store.markRunning([running], 1_700_000_000);
    await f.store.markRunning([finishedId], 1_700_000_000);
    await f.store.markDone([finished(finishedId)]);
    const peer = await f.openPeer("worker-b");
    const [theirs] = await f.insert("build", 1);
    await peer.claimWaiting(new Map([["build", 1]]));

    assert.deepEqual(
      (await f.rows([accepted, running, finishedId, manual, theirs])).map((row) => row.worker),
      [WORKER, WORKER, WORKER, WORKER, "worker-b"],
    );
    assert.deepEqual(await f.store.findLeftBehind(), [
      { id: accepted, target: "build", status: "accepted" },
      { id: running, target: "build", status: "running" },
      { id: manual, target: "deploy", status: "accepted" },
    ]);
    assert.deepEqual(await peer.findLeftBehind(), [
      { id: theirs, target: "build", status: "accepted" },
    ]);
  });

  test("release clears the owner", { withWorkerColumn: true }, async (f) => {
    const [id] = await f.insert("build", 1);
    const claimed = await f.store.claimWaiting(new Map([["build", 1]]));
    assert.deepEqual(await f.store.release(claimed), []);
    assert.equal((await f.rows([id]))[0].worker, null);
    assert.deepEqual(await f.store.findLeftBehind(), []);
  });

  test("two stores claiming one target at once never get the same job", {
    withWorkerColumn: true,
  }, async (f) => {
    const ids = await f.insert("build", 120);
    const peer = await f.openPeer("worker-b");
    const drain = async (store: JobStore) => {
      const taken: number[] = [];
      for (;;) {
        const jobs = await store.claimWaiting(new Map([["build", 7]]));
        if (jobs.length === 0) return taken;
        taken.push(...jobs.map((job) => job.id));
      }
    };

    const [mine, theirs] = await Promise.all([drain(f.store), drain(peer)]);

    const overlap = mine.filter((id) => theirs.includes(id));
    assert.deepEqual(overlap, []);
    assert.deepEqual([...mine, ...theirs].sort((a, b) => a - b), ids);
    const rows = await f.rows(ids);
    assert.ok(rows.every((row) => row.status === "accepted"));
    const owners = new Map(rows.map((row) => [row.id, row.worker]));
    assert.ok(mine.every((id) => owners.get(id) === WORKER));
    assert.ok(theirs.every((id) => owners.get(id) === "worker-b"));
  });

  test("a closed store refuses operations with an error that is not transient", {}, async (f) => {
    await f.store.close();
    await f.store.close();
    const error = await storageError(f.store.claimWaiting(new Map([["build", 1]])));
    assert.equal(
      error.message,
      `Cannot claim waiting jobs of target 'build' in ${f.where}: the store is closed`,
    );
    assert.equal(isTransientStorageError(error), false);
  });
}
