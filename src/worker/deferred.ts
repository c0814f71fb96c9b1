/**
 * Deferred jobs: `delayed` rows start once their `time_run_at` has
 * passed. The worker does not poll for them: it knows, per served target,
 * how many wait and the earliest time (from its last look), and one timer
 * wakes it at that time (reading the clock again at least once a minute). A look happens with every poll from outside (a
 * poke, a poll request, `poll_interval`, start-up) and when the timer
 * fires: due rows are promoted to `waiting` by a guarded UPDATE, which the
 * claim that follows takes like any other waiting row (so several workers
 * run each due row once), and the targets' delayed rows are counted again.
 * A retry this worker stores re-arms the timer at once.
 */

import { getLogger } from "@logtape/logtape";
import type { DelayedSummary, JobStore } from "../storage/job_store.ts";
import { type LongTimer, setLongTimer } from "./long_timer.ts";

const log = getLogger(["jobd", "worker", "deferred"]);

/** Most rows one promotion sets `waiting`; more due rows are promoted by the next look. */
export const PROMOTE_LIMIT = 1000;

/**
 * How long the timer waits when rows are due already (more than one
 * promotion's worth): a look again soon, not a busy loop.
 */
const DUE_AGAIN_MS = 250;

/**
 * Longest single wait of the timer, ms: it reads the clock again at least
 * this often. Timers run on the monotonic clock, which a clock step ahead
 * moves no further and a suspended host does not advance; a longer wait
 * would start a due row that late (with `poll_interval = 0`, days late). A
 * look without a due row reads no table.
 */
export const MAX_WAIT_MS = 60_000;

/** The clock of the timer (tests). */
export interface DeferredClock {
  /** Now, ms. */
  now?: () => number;
  /** The longest wait, ms (default {@linkcode MAX_WAIT_MS}). */
  maxWaitMs?: number;
}

/** The worker's knowledge of its targets' `delayed` rows, and the timer to the earliest. */
export class DeferredJobs {
  readonly #store: JobStore;
  readonly #poll: (targets: string[]) => void;
  /** Targets to look at with the next claim. */
  #wanted = new Set<string>();
  /** Of `#wanted`, those only counted, not promoted: no claim follows for them. */
  readonly #countOnly = new Set<string>();
  #known = new Map<string, DelayedSummary>();
  /**
   * Targets whose rows a look promoted and has not yet named to the claim
   * loop: a look that promoted and then failed to count names them at the
   * next one, or nothing would claim those rows before another poll.
   */
  readonly #promoted = new Set<string>();
  #timer: LongTimer | undefined;
  #stopped = false;
  readonly #clock: DeferredClock;

  /** `poll` asks the worker to poll targets (it calls `want` and claims). */
  constructor(store: JobStore, poll: (targets: string[]) => void, clock: DeferredClock = {}) {
    this.#store = store;
    this.#poll = poll;
    this.#clock = clock;
  }

  #nowMs(): number {
    return this.#clock.now?.() ?? Date.now();
  }

  /** Whether the table has deferred jobs at all. */
  get enabled(): boolean {
    return this.#store.timeFeatures.deferred;
  }

  /** Has the next claim look at these targets' delayed rows. */
  want(targets: readonly string[]): void {
    if (!this.enabled) return;
    for (const target of targets) {
      this.#wanted.add(target);
      this.#countOnly.delete(target);
    }
  }

  /**
   * Has the next claim count these targets' delayed rows without promoting
   * any (nothing claims for them), so that the timer wakes the worker when
   * the earliest is due.
   */
  watch(targets: readonly string[]): void {
    if (!this.enabled) return;
    for (const target of targets) {
      if (this.#wanted.has(target)) continue;
      this.#wanted.add(target);
      this.#countOnly.add(target);
    }
  }

  /**
   * Promotes the due rows of the wanted targets that are still `served`,
   * counts their delayed rows and re-arms the timer. Called by the claim
   * loop before it claims, which claims for the targets returned: those
   * whose rows it promoted (a poll that asked for them may have been served
   * by a round that ran before the promotion). A failure keeps the targets
   * wanted and throws (the claim loop retries).
   */
  async look(served: ReadonlySet<string>): Promise<string[]> {
    if (this.#wanted.size === 0 || this.#stopped) return this.#takePromoted();
    const targets = [...this.#wanted].filter((target) => served.has(target));
    this.#wanted.clear();
    if (targets.length === 0) return this.#takePromoted();
    const promoting = targets.filter((target) => !this.#countOnly.has(target));
    try {
      const promoted = promoting.length === 0 ? 0 : await this.#store.promoteDelayed(
        promoting,
        Math.floor(this.#nowMs() / 1000),
        PROMOTE_LIMIT,
      );
      if (promoted > 0) {
        for (const target of promoting) this.#promoted.add(target);
        log.debug("{count} delayed job(s) of {targets} are due", {
          count: promoted,
          targets: promoting.join(", "),
        });
      }
      const summaries = await this.#store.countDelayed(targets);
      for (const target of targets) {
        const summary = summaries.get(target);
        if (summary) this.#known.set(target, summary);
        else this.#known.delete(target);
      }
    } catch (error) {
      for (const target of targets) this.#wanted.add(target);
      throw error;
    }
    for (const target of targets) this.#countOnly.delete(target);
    this.#arm();
    return this.#takePromoted();
  }

  /** The targets whose rows were promoted since the last look that named them. */
  #takePromoted(): string[] {
    if (this.#promoted.size === 0) return [];
    const targets = [...this.#promoted];
    this.#promoted.clear();
    return targets;
  }

  /** A job of `target` went back to `delayed` until `runAt` (a retry this worker stored). */
  noteDelayed(target: string, runAt: number): void {
    const known = this.#known.get(target);
    this.#known.set(target, {
      count: (known?.count ?? 0) + 1,
      next: Math.min(known?.next ?? runAt, runAt),
    });
    this.#arm();
  }

  /** How many delayed rows of `target` the last look found (counted up to a limit). */
  countOf(target: string): number {
    return this.#known.get(target)?.count ?? 0;
  }

  /** Forgets a target that is no longer served. */
  forget(target: string): void {
    this.#known.delete(target);
    this.#wanted.delete(target);
    this.#countOnly.delete(target);
  }

  /** Stops the timer for good (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Sets the timer to the earliest `time_run_at` known. */
  #arm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    // The stores give a time_run_at that is no unix time as 0 (due); this guards the timer.
    const times = [...this.#known.values()].map((summary) => summary.next).filter(Number.isFinite);
    if (this.#stopped || times.length === 0) return;
    const next = Math.min(...times);
    const dueAt = next * 1000;
    const nowMs = this.#nowMs();
    const delay = dueAt <= nowMs ? DUE_AGAIN_MS : dueAt - nowMs;
    this.#timer = setLongTimer(Math.min(delay, this.#clock.maxWaitMs ?? MAX_WAIT_MS), () => {
      this.#timer = undefined;
      const now = Math.floor(this.#nowMs() / 1000);
      const due = [...this.#known].filter(([, summary]) => summary.next <= now)
        .map(([target]) => target);
      if (due.length > 0) this.#poll(due);
      else this.#arm();
    });
  }
}
