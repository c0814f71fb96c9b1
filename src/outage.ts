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
