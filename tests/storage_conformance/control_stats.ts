/**
 * The storage conformance suite, the operators' `stats` (countJobs: counts per target).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ControlConformanceTest, controlOf, finish, now } from "./control_fixture.ts";

/** Registers the `stats` tests of `store.control`. */
export function controlStatsConformance(test: ControlConformanceTest): void {
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
    },
  );
}
