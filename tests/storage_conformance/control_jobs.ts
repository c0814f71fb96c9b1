/**
 * The storage conformance suite, the operators' `jobs` (listJobs: rows by target, status and result, newest first).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ControlConformanceTest, controlOf, finish, now } from "./control_fixture.ts";

/** Registers the `jobs` tests of `store.control`. */
export function controlJobsConformance(test: ControlConformanceTest): void {
  test(
    "jobs lists rows newest first, by target, status and result, at most the limit",
    {},
    async (f) => {
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
      assert.deepEqual(
        (await control.listJobs({ status: "done", result: "fail", limit: 100 })).map((job) =>
          job.id
        ),
        [done],
      );
      assert.deepEqual(await control.listJobs({ result: "ok", limit: 100 }), []);
      assert.equal((await control.listJobs({ limit: 2 })).length, 2);
      assert.deepEqual(await control.listJobs({ target: "none", limit: 10 }), []);
      // A target's rows in every status, newest first across them, the limit over them all.
      assert.deepEqual(
        (await control.listJobs({ target: "build", limit: 2 })).map((job) => job.id),
        [...builds].sort((a, b) => b - a).slice(0, 2),
      );
      assert.deepEqual(
        (await control.listJobs({ target: "build", result: "fail", limit: 10 })).map((job) =>
          job.id
        ),
        [done],
      );
    },
  );
}
