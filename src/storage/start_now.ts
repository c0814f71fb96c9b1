/** Which rows of a claim start at once (`claimWaiting`'s `startNow`), the same in every store. */

import type { ClaimedJob } from "../job.ts";

/**
 * Marks the first `startNow` jobs of each target `running: true` with the
 * claim's `startedAt` (they come by target, then id); returns their ids.
 */
export function markStarting(
  jobs: ClaimedJob[],
  startNow: ReadonlyMap<string, number>,
  startedAt: number,
): number[] {
  if (startNow.size === 0) return [];
  const left = new Map(startNow);
  const starting: number[] = [];
  for (const job of jobs) {
    const count = left.get(job.target) ?? 0;
    if (count === 0) continue;
    left.set(job.target, count - 1);
    job.running = true;
    job.startedAt = startedAt;
    starting.push(job.id);
  }
  return starting;
}
