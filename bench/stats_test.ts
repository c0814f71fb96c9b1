import assert from "node:assert/strict";
import { percentile, ratePerSecond, summarize } from "./stats.ts";

Deno.test("percentile picks an observed sample by nearest rank", () => {
  const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
});

Deno.test("percentile refuses no samples and percentiles outside (0, 100]", () => {
  assert.throws(() => percentile([], 50), /no samples/);
  assert.throws(() => percentile([1], 0), /Invalid percentile '0'/);
  assert.throws(() => percentile([1], 101), /Invalid percentile '101'/);
});

Deno.test("summarize sorts the samples and reports extremes, mean and percentiles", () => {
  const summary = summarize([30, 10, 20, 40]);
  assert.deepEqual(summary, { count: 4, min: 10, p50: 20, p90: 40, p99: 40, max: 40, mean: 25 });
  assert.equal(summarize([]), undefined);
});

Deno.test("ratePerSecond turns a count and milliseconds into a rate", () => {
  assert.equal(ratePerSecond(500, 250), 2000);
  assert.equal(ratePerSecond(5, 0), 0);
});
