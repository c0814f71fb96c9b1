/**
 * Releases the jobs a target claimed ahead of its free slots once it has
 * stopped starting them (a long job in every slot, a pause, run-manual jobs
 * taking the slots), so that other workers can run them; and, at once, the
 * jobs a removed target still held.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClaimedJob } from "../job.ts";
import { describeJobs, messageOf } from "../text.ts";
import { STALE_QUEUE_MS, type Target } from "./target.ts";

const log = getLogger(["jobd", "worker"]);

/** What the watch needs from the worker. */
export interface StaleQueueOptions {
  /** The served targets, as they are now. */
  readonly targets: ReadonlyMap<string, Target>;
  /** Sets jobs back to `waiting`; throws when the database refuses (after its own retries). */
  release(jobs: ClaimedJob[]): Promise<void>;
  /** Starts what may start now on the target (after jobs went back into its queue). */
  schedule(target: Target): void;
  /** Jobs of a removed target could not be released: have rows left `accepted` looked for. */
  lookForLeftBehind(): void;
}

/**
 * While any target holds background jobs beyond its free slots, looks every
 * {@linkcode STALE_QUEUE_MS} for targets that started or queued none for
 * that long, and releases those jobs; such a target's poll stays pending
 * (unless it is paused, which polls when it resumes), so it claims again
 * when it has room. Jobs the database would not take back go back into the
 * queue.
 */
export class StaleQueues {
  readonly #options: StaleQueueOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: { ids: Set<number>; done: Promise<void> } | undefined;
  /** Releases of removed targets' jobs under way. */
  readonly #removals = new Set<{ ids: Set<number>; done: Promise<void> }>();
  #stopped = false;

  constructor(options: StaleQueueOptions) {
    this.#options = options;
  }

  /** Ids of the jobs being released: no longer queued, not yet released. */
  get releasing(): ReadonlySet<number> {
    const stale = this.#inFlight?.ids ?? new Set<number>();
    if (this.#removals.size === 0) return stale;
    return new Set([...stale, ...[...this.#removals].flatMap((removal) => [...removal.ids])]);
  }

  /**
   * Gives the jobs `target` held back to `waiting` now that it is removed
   * (it no longer is in the served targets); `stop()` waits for it.
   */
  releaseRemoved(target: Target, jobs: ClaimedJob[]): void {
    if (jobs.length === 0) return;
    const ids = new Set(jobs.map((job) => job.id));
    const which = describeJobs([...ids]);
    log.info("Releasing {ids} of {target}: the target is removed", {
      ids: which,
      target: target.name,
    });
    const removal = { ids, done: this.#release(target, jobs, which) };
    this.#removals.add(removal);
    void removal.done.then(() => this.#removals.delete(removal));
  }

  /** Looks at the targets in {@linkcode STALE_QUEUE_MS}, unless a look is due already. */
  watch(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(async () => {
      await this.#inFlight?.done;
      this.#timer = undefined;
      const finished = Promise.withResolvers<void>();
      const inFlight = { ids: new Set<number>(), done: finished.promise };
      this.#inFlight = inFlight;
      try {
        await this.#releaseStale(inFlight.ids);
      } catch (error) {
        log.error("Cannot release jobs claimed ahead: {error}", { error: messageOf(error) });
      } finally {
        finished.resolve();
      }
      if (this.#inFlight === inFlight) this.#inFlight = undefined;
      const { targets } = this.#options;
      if ([...targets.values()].some((target) => target.surplus > 0)) this.watch();
    }, STALE_QUEUE_MS);
  }

  /** Looks no more; resolves once the releases in flight have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight?.done;
    await Promise.all([...this.#removals].map((removal) => removal.done));
  }

  /** Releases the stale jobs of every target; adds their ids to `ids` meanwhile. */
  async #releaseStale(ids: Set<number>): Promise<void> {
    for (const target of this.#options.targets.values()) {
      if (this.#stopped) return;
      const stale = target.takeStale();
      if (stale.length === 0) continue;
      for (const job of stale) ids.add(job.id);
      if (!target.paused) target.pollPending = true;
      const which = describeJobs(stale.map((job) => job.id));
      log.info("Releasing {ids} of {target}: no job of it started for {ms} ms", {
        ids: which,
        target: target.name,
        ms: STALE_QUEUE_MS,
      });
      await this.#release(target, stale, which);
    }
  }

  /**
   * Releases `jobs` of `target` (`which` names them). When the database
   * refuses, a served target queues them again; a removed one has its rows
   * looked for later.
   */
  async #release(target: Target, jobs: ClaimedJob[], which: string): Promise<void> {
    try {
      await this.#options.release(jobs);
    } catch (error) {
      if (this.#options.targets.get(target.name) !== target) {
        log.error("Cannot release {ids} of removed target {target}: {error}", {
          ids: which,
          target: target.name,
          error: messageOf(error),
        });
        this.#options.lookForLeftBehind();
        return;
      }
      log.warn("Cannot release {ids}, keeping them queued: {error}", {
        ids: which,
        error: messageOf(error),
      });
      for (const job of jobs) target.enqueue(job);
      this.#options.schedule(target);
    }
  }
}
