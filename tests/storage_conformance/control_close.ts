/**
 * The storage conformance suite, the operators' `close` (a closed store refuses every control operation).
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "../../src/storage/errors.ts";
import { type ControlConformanceTest, controlOf, now } from "./control_fixture.ts";

/** Registers the `close` tests of `store.control`. */
export function controlCloseConformance(test: ControlConformanceTest): void {
  test("a closed store refuses the operators' operations, naming them", {}, async (f) => {
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
