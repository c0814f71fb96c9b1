/**
 * The behaviour of the operators' operations (`JobControl`: `jobs`, `job`,
 * `stats`, `retry`, `add`) that every store keeps, as one suite each store
 * runs with its own fixture (tests/storage_control_mysql_test.ts,
 * tests/storage_control_sqlite_test.ts).
 *
 * The fixture's table is `examples/schema*.sql` with the `worker` column and
 * three columns an application might add: `priority` (integer, NOT NULL
 * DEFAULT 0), `note` (VARCHAR(8), NULL) and `attempts` (the optional column
 * of retries). With `delayed`, it also has the status `delayed` and the
 * column `time_run_at` of deferred jobs.
 */

import assert from "node:assert/strict";
import type { JobControl } from "../src/storage/job_control.ts";
import type { JobStatus } from "../src/job.ts";
import type { JobStore } from "../src/storage/job_store.ts";
import { StorageError } from "../src/storage/errors.ts";

/** A jobs table and a store on it, for one test. */
export interface ControlFixture extends AsyncDisposable {
  readonly store: JobStore;
  /** The table as the store's errors name it. */
  readonly where: string;
  /** Whether the database refuses text longer than a column's declared length. */
  readonly enforcesLengths: boolean;
  /** Inserts `count` rows of `target` in `status`; returns their ids. */
  insert(target: string, count: number, status?: JobStatus): Promise<number[]>;
  /** Runs SQL on the table's database (`?` placeholders); resolves to the rows read. */
  query(sql: string, ...params: (string | number | null)[]): Promise<Record<string, unknown>[]>;
  /** The table's name, quoted for `query`. */
  readonly table: string;
}

/** Makes a fixture; with `delayed`, the table has `delayed` and `time_run_at`. */
export type OpenControlFixture = (options: { delayed: boolean }) => Promise<ControlFixture>;

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function controlOf(store: JobStore): JobControl {
  assert.ok(store.control, "the store has the operators' operations");
  return store.control;
}

/** Claims, starts and ends `ids` of `target` through the store, finished at `finishedAt`. */
async function finish(
  store: JobStore,
  target: string,
  outcomes: { result: "ok" | "fail"; finishedAt: number }[],
): Promise<number[]> {
  const claimed = await store.claimWaiting(new Map([[target, outcomes.length]]));
  assert.equal(claimed.length, outcomes.length);
  const ids = claimed.map((job) => job.id);
  assert.deepEqual(await store.markRunning(ids, now() - 10), []);
  assert.deepEqual(
    await store.markDone(ids.map((id, index) => ({
      id,
      finishedAt: outcomes[index].finishedAt,
      outcome: {
        result: outcomes[index].result,
        code: outcomes[index].result === "ok" ? 0 : 3,
        signal: null,
        stdout: `out ${id}`,
        stderr: `err ${id}`,
      },
    }))),
    [],
  );
  return ids;
}

/** Defines the suite's tests, each named `NAME: control: ...`. */
export function defineJobControlConformance(name: string, open: OpenControlFixture): void {
  const test = (
    title: string,
    body: (fixture: ControlFixture) => Promise<void>,
    options: { delayed?: boolean } = {},
  ) => {
    Deno.test(`${name}: control: ${title}`, async () => {
      await using fixture = await open({ delayed: options.delayed ?? false });
      await body(fixture);
    });
  };

  test("add inserts waiting rows of the target, created now, and answers their ids", async (f) => {
    const before = now();
    const added = await controlOf(f.store).addJobs(
      { target: "build", count: 3, values: { priority: "7", note: "hi" } },
      now(),
    );
    assert.equal(added.status, "waiting");
    assert.equal(added.ids.length, 3);
    assert.deepEqual(added.ids, [...added.ids].sort((a, b) => a - b));
    const rows = await f.query(
      `SELECT id, target, status, time_created, priority, note FROM ${f.table} ORDER BY id`,
    );
    assert.deepEqual(rows.map((row) => Number(row.id)), added.ids);
    for (const row of rows) {
      assert.equal(row.target, "build");
      assert.equal(row.status, "waiting");
      assert.ok(Number(row.time_created) >= before);
      assert.equal(Number(row.priority), 7);
      assert.equal(row.note, "hi");
    }
    // The rows are claimable as any application's.
    const claimed = await f.store.claimWaiting(new Map([["build", 10]]));
    assert.deepEqual(claimed.map((job) => job.id), added.ids);
  });

  test("add refuses values the table cannot take, naming the column, and inserts nothing", async (f) => {
    const control = controlOf(f.store);
    const refusals: [Record<string, string | number | null>, RegExp][] = [
      [{ colour: "red" }, /it has no column 'colour'/],
      [{ status: "done" }, /column 'status' is written by jobd/],
      [{ stdout: "x" }, /column 'stdout' is written by jobd/],
      [{ priority: "high" }, /"high" of column 'priority' is not an integer/],
      [{ priority: null }, /column 'priority' is refused: the column is NOT NULL/],
    ];
    if (f.enforcesLengths) {
      refusals.push([{ note: "much too long" }, /longer than .* 8 characters/]);
    }
    for (const [values, pattern] of refusals) {
      const error = await control.addJobs({ target: "build", count: 2, values }, now()).then(
        () => assert.fail(`add with ${JSON.stringify(values)} was accepted`),
        (error: unknown) => error,
      );
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /^Cannot add 2 jobs of target 'build' in table /);
      assert.match(error.message, pattern);
    }
    assert.deepEqual(await f.query(`SELECT id FROM ${f.table}`), []);
  });

  test("add with a run time is refused when the table lacks time_run_at", async (f) => {
    const error = await controlOf(f.store).addJobs(
      { target: "build", count: 1, runAt: now() + 600, values: {} },
      now(),
    ).then(() => assert.fail("accepted"), (error: unknown) => error as Error);
    assert.match(error.message, /no column 'time_run_at', which delayed jobs need/);
    // A run time already passed needs nothing: the row waits at once.
    const added = await controlOf(f.store).addJobs(
      { target: "build", count: 1, runAt: now() - 5, values: {} },
      now(),
    );
    assert.equal(added.status, "waiting");
  });

  test("add with a run time is refused when the status 'delayed' is missing", async (f) => {
    await f.query(`ALTER TABLE ${f.table} ADD COLUMN time_run_at INTEGER NOT NULL DEFAULT 0`);
    const error = await controlOf(f.store).addJobs(
      { target: "build", count: 1, runAt: now() + 600, values: {} },
      now(),
    ).then(() => assert.fail("accepted"), (error: unknown) => error as Error);
    assert.match(error.message, /its column 'status' has no value 'delayed'/);
    assert.deepEqual(await f.query(`SELECT id FROM ${f.table}`), []);
  });

  test("add with a later run time inserts delayed rows with time_run_at", async (f) => {
    const runAt = now() + 600;
    const added = await controlOf(f.store).addJobs(
      { target: "build", count: 2, runAt, values: {} },
      now(),
    );
    assert.equal(added.status, "delayed");
    const rows = await f.query(`SELECT status, time_run_at FROM ${f.table} ORDER BY id`);
    assert.deepEqual(
      rows.map((row) => [row.status, Number(row.time_run_at)]),
      [["delayed", runAt], ["delayed", runAt]],
    );
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 5]])), []);
  }, { delayed: true });

  test("jobs lists rows newest first, by target and status, at most the limit", async (f) => {
    const control = controlOf(f.store);
    const builds = await f.insert("build", 3);
    const deploys = await f.insert("deploy", 2, "manual");
    const [done] = await finish(f.store, "build", [{ result: "fail", finishedAt: now() }]);
    const all = await control.listJobs({ limit: 100 });
    assert.deepEqual(all.map((job) => job.id), [...builds, ...deploys].sort((a, b) => b - a));
    const summary = all.find((job) => job.id === done)!;
    assert.equal(summary.status, "done");
    assert.equal(summary.result, "fail");
    assert.equal(summary.code, 3);
    assert.equal(summary.signal, null);
    assert.ok(summary.started > 0 && summary.finished >= summary.started);
    assert.ok(typeof summary.created === "number" && summary.created > 0);
    assert.deepEqual(
      (await control.listJobs({ target: "deploy", limit: 100 })).map((job) => job.id),
      [...deploys].reverse(),
    );
    assert.deepEqual(
      (await control.listJobs({ target: "build", status: "waiting", limit: 100 })).map((job) =>
        job.id
      ),
      builds.filter((id) => id !== done).reverse(),
    );
    assert.equal((await control.listJobs({ limit: 2 })).length, 2);
    assert.deepEqual(await control.listJobs({ target: "none", limit: 10 }), []);
  });

  test("job answers every column of the row, output and the application's own columns", async (f) => {
    const control = controlOf(f.store);
    await f.insert("build", 1);
    await f.query(`UPDATE ${f.table} SET note = 'n1'`);
    const [id] = await finish(f.store, "build", [{ result: "ok", finishedAt: now() }]);
    const shown = await control.getJob(id);
    assert.ok(shown);
    assert.equal(shown.job.id, id);
    assert.equal(shown.job.target, "build");
    assert.equal(shown.job.status, "done");
    assert.equal(shown.job.result, "ok");
    assert.equal(shown.job.return_code, 0);
    assert.equal(shown.job.stdout, `out ${id}`);
    assert.equal(shown.job.stderr, `err ${id}`);
    assert.equal(shown.job.note, "n1");
    assert.equal(shown.job.priority, 0);
    assert.equal(shown.truncated, undefined);
    assert.equal(await control.getJob(id + 1000), undefined);
  });

  test("stats counts each target's rows by status, done by result and period, oldest waiting", async (f) => {
    const control = controlOf(f.store);
    const t = now();
    await f.insert("build", 4);
    await finish(f.store, "build", [
      { result: "ok", finishedAt: t - 60 },
      { result: "fail", finishedAt: t - 7200 },
      { result: "ok", finishedAt: t - 2 * 86_400 },
    ]);
    await f.insert("build", 2);
    await f.query(`UPDATE ${f.table} SET time_created = ? WHERE status = 'waiting'`, t - 300);
    await f.insert("deploy", 1, "manual");
    await f.insert("deploy", 1, "accepted");
    await f.insert("deploy", 1, "running");
    const stats = await control.countJobs(t);
    assert.deepEqual(Object.keys(stats), ["build", "deploy"]);
    assert.deepEqual(stats.build, {
      waiting: 3,
      delayed: 0,
      manual: 0,
      accepted: 0,
      running: 0,
      lastHour: { ok: 1, fail: 0 },
      lastDay: { ok: 1, fail: 1 },
      oldestWaitingAge: 300,
    });
    assert.deepEqual(stats.deploy, {
      waiting: 0,
      delayed: 0,
      manual: 1,
      accepted: 1,
      running: 1,
      lastHour: { ok: 0, fail: 0 },
      lastDay: { ok: 0, fail: 0 },
      oldestWaitingAge: null,
    });
  });

  test("retry puts final rows back to waiting, cleared, and refuses the others per id", async (f) => {
    const control = controlOf(f.store);
    await f.insert("build", 2);
    const done = await finish(f.store, "build", [
      { result: "fail", finishedAt: now() },
      { result: "ok", finishedAt: now() },
    ]);
    await f.query(`UPDATE ${f.table} SET attempts = 3`);
    const [waiting] = await f.insert("build", 1);
    const [running] = await f.insert("deploy", 1, "running");
    const [ignored] = await f.insert("deploy", 1, "ignored");
    const missing = ignored + 100;
    const outcome = await control.retryJobs([...done, waiting, running, ignored, missing]);
    assert.deepEqual(outcome.retried, [
      { id: done[0], target: "build" },
      { id: done[1], target: "build" },
      { id: ignored, target: "deploy" },
    ]);
    assert.deepEqual(
      outcome.errors,
      new Map([
        [waiting, "status = waiting is not final (done or ignored)"],
        [running, "status = running is not final (done or ignored)"],
        [missing, `job ${missing} not found`],
      ]),
    );
    const rows = await f.query(
      `SELECT id, status, result, return_code, stdout, stderr, time_started, time_finished,
              worker, attempts FROM ${f.table} WHERE id IN (?, ?)`,
      ...done,
    );
    for (const row of rows) {
      assert.deepEqual(
        [row.status, row.result, row.return_code, row.stdout, row.stderr, row.worker],
        ["waiting", null, null, null, null, null],
      );
      assert.deepEqual(
        [Number(row.time_started), Number(row.time_finished), Number(row.attempts)],
        [0, 0, 0],
      );
    }
    const [runningRow] = await f.query(`SELECT status FROM ${f.table} WHERE id = ?`, running);
    assert.equal(runningRow.status, "running");
    // Retried rows are claimed again like new ones.
    const claimed = await f.store.claimWaiting(new Map([["build", 10]]));
    assert.deepEqual(claimed.map((job) => job.id), [...done, waiting]);
  });

  test("a closed store refuses the operators' operations, naming them", async (f) => {
    const control = controlOf(f.store);
    await f.store.close();
    for (
      const [operation, pattern] of [
        [() => control.listJobs({ limit: 5 }), /^Cannot list jobs in table/],
        [() => control.getJob(5), /^Cannot read job 5 in table/],
        [() => control.countJobs(now()), /^Cannot count jobs in table/],
        [() => control.retryJobs([5]), /^Cannot retry job 5 in table/],
        [
          () => control.addJobs({ target: "b", count: 1, values: {} }, now()),
          /^Cannot add a job of target 'b' in table/,
        ],
      ] as const
    ) {
      const error = await (operation as () => Promise<unknown>)().then(
        () => assert.fail("accepted"),
        (error: unknown) => error as Error,
      );
      assert.ok(error instanceof StorageError);
      assert.match(error.message, pattern);
      assert.match(error.message, /the store is closed/);
    }
  });
}
