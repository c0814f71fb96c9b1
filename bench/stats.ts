/**
 * Summaries of timing samples: percentiles by the nearest-rank method, so
 * every figure reported is a value that was actually observed.
 *
 * @module
 */

/** A summary of samples, all in the samples' unit (milliseconds in this benchmark). */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0 < p ≤ 100) of `sorted`, which must be sorted
 * ascending and non-empty: the smallest sample with at least p % of the
 * samples at or below it.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("Cannot take a percentile of no samples");
  if (!(p > 0 && p <= 100)) throw new RangeError(`Invalid percentile '${p}': expected 0 < p ≤ 100`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

/** Count, extremes, mean and the 50th, 90th and 99th percentiles; undefined for no samples. */
export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    min: sorted[0],
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: total / sorted.length,
  };
}

/** Operations per second for `count` operations in `ms` milliseconds. */
export function ratePerSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** Milliseconds since an arbitrary origin, sub-millisecond, monotonic. */
export function nowMs(): number {
  return performance.now();
}

/**
 * Wall-clock milliseconds since the Unix epoch with sub-millisecond
 * resolution, comparable with the `$EPOCHREALTIME` a launcher records.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
