/**
 * One connection's outages (the database, the master, the name lock), so
 * that each is logged once when it begins and once when it ends, not once
 * per retry: `down()` is true only for the failure that starts an outage,
 * `up()` gives its length only for the success that ends one. The callers
 * write the lines (at `warn`, both of them); this module keeps the state.
 *
 * @module
 */

/** The state of one connection: up, or down since a moment. */
export class Outage {
  #since: number | undefined;

  /** Whether an outage is going on. */
  get isDown(): boolean {
    return this.#since !== undefined;
  }

  /** When the outage going on began (ms since the epoch), if one is. */
  get since(): number | undefined {
    return this.#since;
  }

  /** A failure: true when it begins an outage (log it), false during one (do not). */
  down(now: number = Date.now()): boolean {
    if (this.#since !== undefined) return false;
    this.#since = now;
    return true;
  }

  /** A success: the outage's length in ms when it ends one (log it), else undefined. */
  up(now: number = Date.now()): number | undefined {
    if (this.#since === undefined) return undefined;
    const length = Math.max(0, now - this.#since);
    this.#since = undefined;
    return length;
  }
}

/**
 * A run of failures of one thing (a claim, a target's claim), so that a
 * failure that repeats is logged once: the first of a run, and one whose
 * reason differs from the last, are logged at their own level, the repeats
 * at debug; the success that ends the run gives its length (log it).
 */
export class FailureRun {
  readonly #outage = new Outage();
  #reason: string | undefined;

  /** Whether failures are going on. */
  get isFailing(): boolean {
    return this.#outage.isDown;
  }

  /** A failure for `reason`: true when it begins the run or changes the reason (log it). */
  failed(reason: string, now: number = Date.now()): boolean {
    const begins = this.#outage.down(now);
    const changed = reason !== this.#reason;
    this.#reason = reason;
    return begins || changed;
  }

  /** A success: the run's length in ms when it ends one (log it), else undefined. */
  succeeded(now: number = Date.now()): number | undefined {
    this.#reason = undefined;
    return this.#outage.up(now);
  }
}

/** A length of time for a log line: `800 ms`, `12 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatLength(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  }
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
