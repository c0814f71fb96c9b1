/**
 * Reading the events log of the test launcher (tests/fixtures/job.sh), as
 * `TestWorker.events()` returns it: a `start ID` line when a job starts and
 * an `end ID` line when it ends.
 */

/** The largest number of jobs running at once. */
export function peakConcurrency(events: readonly string[]): number {
  let running = 0;
  let peak = 0;
  for (const line of events) {
    running += line.startsWith("start ") ? 1 : -1;
    peak = Math.max(peak, running);
  }
  return peak;
}

/** How many times each job id started. */
export function startCounts(events: readonly string[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of events) {
    if (!line.startsWith("start ")) continue;
    const id = Number(line.slice("start ".length));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
