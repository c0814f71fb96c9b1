/**
 * The storage conformance suite, `close`: a closed store refuses every operation, with an error
 * that is not transient.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isTransientStorageError } from "../../src/storage/errors.ts";
import { type ConformanceTest, storageError } from "./fixture.ts";

/** Registers the `close` tests. */
export function closeConformance(test: ConformanceTest): void {
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
