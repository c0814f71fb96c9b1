/**
 * The storage conformance suite, the operators' `stats` (countJobs: counts per target).
 *
 * @module
 */

import assert from "node:assert/strict";
import { timedOutNote } from "../../src/worker/job_timeout.ts";
import { type ControlConformanceTest, controlOf, finish, now } from "./control_fixture.ts";

/** Registers the `stats` tests of `store.control`. */
export function controlStatsConformance(test: ControlConformanceTest): void {
  test(
    "countWaiting counts the waiting rows of the targets asked for, 1,500 of them, alone",
    {},
    async (f) => {
      const control = controlOf(f.store);
      await f.insert("t7", 3);
      await f.insert("t1499", 1);
      await f.insert("t7", 2, "manual");
      await f.insert("t7", 1, "done");
      await f.insert("other", 4);
      const targets = Array.from({ length: 1500 }, (_, i) => `t${i}`);
      assert.deepEqual(await control.countWaiting(targets), { t7: 3, t1499: 1 });
      assert.deepEqual(await control.countWaiting([]), {});
    },
  );

  test(
    "stats counts each target's rows by status, done by result and period, oldest waiting",
    {},
    async (f) => {
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
        timedOut: { lastHour: 0, lastDay: 0 },
        retrying: 0,
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
        timedOut: { lastHour: 0, lastDay: 0 },
        retrying: 0,
        oldestWaitingAge: null,
      });
    },
  );

  test(
    "stats counts the failed jobs stopped at their time limit, and the rows waiting for a retry",
    { delayed: true },
    async (f) => {
      const control = controlOf(f.store);
      const t = now();
      await f.insert("build", 4);
      const [recent, earlier, plain, old] = await finish(f.store, "build", [
        { result: "fail", finishedAt: t - 60 },
        { result: "fail", finishedAt: t - 7200 },
        { result: "fail", finishedAt: t - 30 },
        { result: "fail", finishedAt: t - 2 * 86_400 },
      ]);
      const note = `out of patience\n${timedOutNote(5)}`;
      await f.query(
        `UPDATE ${f.table} SET stderr = ? WHERE id IN (?, ?, ?)`,
        note,
        recent,
        earlier,
        old,
      );
      // The note in the middle of the text is the job's own output, not jobd's.
      await f.query(`UPDATE ${f.table} SET stderr = ? WHERE id = ?`, `${note}\nmore`, plain);
      const [retry, later] = await f.insert("build", 2, "delayed");
      await f.query(`UPDATE ${f.table} SET attempts = 1 WHERE id = ?`, retry);
      const [again] = await f.insert("build", 2);
      await f.query(`UPDATE ${f.table} SET attempts = 2 WHERE id = ?`, again);
      const stats = await control.countJobs(t);
      assert.deepEqual(
        [stats.build.lastHour, stats.build.lastDay],
        [{ ok: 0, fail: 2 }, { ok: 0, fail: 3 }],
      );
      assert.deepEqual(stats.build.timedOut, { lastHour: 1, lastDay: 2 });
      assert.equal(stats.build.delayed, 2, `row ${later} is delayed but never ran`);
      assert.equal(stats.build.retrying, 2);
    },
  );
}
