/**
 * The storage conformance suite, the operators' `add` (addJobs: inserting rows, checked against the columns).
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "../../src/storage/errors.ts";
import { type ControlConformanceTest, controlOf, now } from "./control_fixture.ts";

/** Registers the `add` tests of `store.control`. */
export function controlAddConformance(test: ControlConformanceTest): void {
  test(
    "add inserts waiting rows of the target, created now, and answers their ids",
    {},
    async (f) => {
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
    },
  );

  test(
    "add refuses values the table cannot take, naming the column, and inserts nothing",
    {},
    async (f) => {
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
    },
  );

  test("add with a run time is refused when the table lacks time_run_at", {}, async (f) => {
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

  test("add with a run time is refused when the status 'delayed' is missing", {}, async (f) => {
    await f.query(`ALTER TABLE ${f.table} ADD COLUMN time_run_at INTEGER NOT NULL DEFAULT 0`);
    const error = await controlOf(f.store).addJobs(
      { target: "build", count: 1, runAt: now() + 600, values: {} },
      now(),
    ).then(() => assert.fail("accepted"), (error: unknown) => error as Error);
    assert.match(error.message, /its column 'status' has no value 'delayed'/);
    assert.deepEqual(await f.query(`SELECT id FROM ${f.table}`), []);
  });

  test(
    "add with a later run time inserts delayed rows with time_run_at",
    { delayed: true },
    async (f) => {
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
    },
  );
}
