/**
 * A leaf: a call whose run is shared while it is under way and whose
 * outcome is reused a while after, so that many readers at once (several
 * scrapers, a page open in many tabs, a busy load balancer) make one call.
 *
 * @module
 */

/** One run of the call: its outcome, and when it settled (`performance.now()`). */
interface Run<T> {
  readonly outcome: Promise<T>;
  settledAt: number | undefined;
}

/**
 * A call made at most once at a time, its outcome (a value or an error)
 * reused until it is older than the reader accepts. Ages count from when a
 * run settles: a slow run is not repeated at once.
 */
export class SharedCall<T> {
  readonly #call: () => T | Promise<T>;
  readonly #maxAgeMs: number;
  #last: Run<T> | undefined;

  /** `maxAgeMs`: how long an outcome is reused by default; 0, only while under way. */
  constructor(call: () => T | Promise<T>, maxAgeMs = 0) {
    this.#call = call;
    this.#maxAgeMs = maxAgeMs;
  }

  /**
   * The run under way, or the outcome of one that settled less than
   * `maxAgeMs` ago, or a new run. A call that throws at once is a rejection.
   */
  get(maxAgeMs = this.#maxAgeMs): Promise<T> {
    const last = this.#last;
    if (
      last !== undefined &&
      (last.settledAt === undefined || performance.now() - last.settledAt < maxAgeMs)
    ) return last.outcome;
    const run: Run<T> = {
      outcome: Promise.resolve().then(() => this.#call()),
      settledAt: undefined,
    };
    const settled = () => {
      run.settledAt = performance.now();
    };
    run.outcome.then(settled, settled);
    this.#last = run;
    return run.outcome;
  }

  /** Forgets the last run, under way or not: the next `get` makes a new one. */
  forget(): void {
    this.#last = undefined;
  }
}
