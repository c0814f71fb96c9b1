/**
 * The storage conformance suite, `countDelayed`: per target, how many rows
 * are `delayed` and the earliest `time_run_at` among them.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ConformanceTest } from "./fixture.ts";

/** Registers the `countDelayed` tests. */
export function countDelayedConformance(test: ConformanceTest): void {
  test("countDelayed gives each target's delayed count and earliest run time", {
    withTimeColumns: true,
  }, async (f) => {
    const builds = await f.insert("build", 3, "delayed");
    await f.setColumns(builds.slice(0, 2), { time_run_at: 1_700_000_500 });
    await f.setColumns(builds.slice(2), { time_run_at: 1_700_000_300 });
    const [deploy] = await f.insert("deploy", 1, "delayed");
    await f.setColumns([deploy], { time_run_at: 1_700_000_900 });
    await f.insert("build", 2); // waiting rows are not counted
    assert.deepEqual(
      await f.store.countDelayed(["build", "deploy", "check"]),
      new Map([
        ["build", { count: 3, next: 1_700_000_300 }],
        ["deploy", { count: 1, next: 1_700_000_900 }],
      ]),
    );
  });
}
