/**
 * The slots a claim in flight takes on its targets for the jobs it marks
 * `running` (`startNow`), so that nothing else starts in them meanwhile;
 * given back, once the claim returns, for the rows it did not mark. Used by
 * the background claim (claim_loop.ts) and run-manual's (manual_runs.ts).
 *
 * @module
 */

import type { ClaimedJob } from "../job.ts";
import type { Target } from "./target.ts";

/** The slots one claim reserved, per target. */
export class SlotReservation {
  /** How many jobs of each target the claim may mark `running`: the claim's `startNow`. */
  readonly startNow = new Map<string, number>();
  readonly #targets = new Map<string, Target>();

  /** Reserves `count` slots (none when 0) of `target` for the claim. */
  reserve(target: Target, count: number): void {
    if (count <= 0) return;
    this.startNow.set(target.name, count);
    this.#targets.set(target.name, target);
    target.reserve(count);
  }

  /**
   * Whether a job of `target` marked by the claim has its slot here: the
   * target is the one the slot was reserved on (not one removed and added
   * again meanwhile).
   */
  holds(target: Target | undefined): target is Target {
    return target !== undefined && this.#targets.get(target.name) === target;
  }

  /**
   * Gives back the slots that `claimed` (the claim's jobs; none when it
   * failed) did not mark a job for; `schedule` starts what waited for them
   * on each target that got some back.
   */
  giveBack(claimed: readonly ClaimedJob[], schedule: (target: Target) => void): void {
    const marked = new Map<string, number>();
    for (const job of claimed) {
      if (job.running) marked.set(job.target, (marked.get(job.target) ?? 0) + 1);
    }
    for (const [name, target] of this.#targets) {
      const unused = this.startNow.get(name)! - (marked.get(name) ?? 0);
      if (unused <= 0) continue;
      target.unreserve(unused);
      schedule(target);
    }
  }
}
