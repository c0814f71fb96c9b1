/**
 * The storage conformance suite, the operators' `job` (getJob: every column of one row).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ControlConformanceTest, controlOf, finish, now } from "./control_fixture.ts";

/** Registers the `job` tests of `store.control`. */
export function controlJobConformance(test: ControlConformanceTest): void {
  test(
    "job answers every column of the row, output and the application's own columns",
    {},
    async (f) => {
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
    },
  );
}
