/**
 * The storage conformance suite, the optional time columns (`time_run_at`,
 * `timeout`, `attempts`, `max_attempts`, status `delayed`): which time
 * features a table's columns turn on, and that a table without them works as
 * before.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, failedAttempt, nowSeconds } from "./fixture.ts";

/** Registers the tests of the time features a table turns on. */
export function timeFeaturesConformance(test: ConformanceTest): void {
  test("a table without the time columns turns no time feature on", {}, async (f) => {
    assert.deepEqual(f.store.timeFeatures, {
      deferred: false,
      rowTimeout: false,
      retries: false,
      rowMaxAttempts: false,
    });
    assert.deepEqual([...f.store.timeColumns.columns], []);
    const [id] = await f.insert("build", 1);
    // Nothing beyond id, target and origin: the claim reads no other column.
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 1]])), [
      { id, target: "build", origin: "waiting" },
    ]);
    assert.equal(await f.store.promoteDelayed(["build"], nowSeconds(), 10), 0);
    assert.deepEqual(await f.store.countDelayed(["build"]), new Map());
    await assert.rejects(
      f.store.markDone([failedAttempt(id, nowSeconds())]),
      /the table has no columns for retries/,
    );
  });

  test("the schema file's time columns turn every time feature on", {
    withTimeColumns: true,
  }, async (f) => {
    assert.deepEqual(f.store.timeFeatures, {
      deferred: true,
      rowTimeout: true,
      retries: true,
      rowMaxAttempts: true,
    });
    assert.equal(f.store.timeColumns.delayedStatus, true);
    assert.deepEqual(await f.store.countDelayed(["build"]), new Map());
  });
}
