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

  test("an operation's error names ten of its targets and counts the others", {}, async (f) => {
    await f.store.close();
    // A worker's claim names every target it serves (up to 10,000 of up to 1,024 characters).
    const targets = Array.from({ length: 2000 }, (_, i) => `t${i}-${"x".repeat(1000)}`);
    const error = await storageError(
      f.store.claimWaiting(new Map(targets.map((target) => [target, 1]))),
    );
    const named = targets.slice(0, 10).map((target) => `'${target}'`).join(", ");
    assert.equal(
      error.message,
      `Cannot claim waiting jobs of targets ${named} and 1990 more in ${f.where}: the store ` +
        "is closed",
    );
  });
}
