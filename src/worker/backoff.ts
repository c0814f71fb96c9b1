/** Exponential backoff with jitter: 250 ms doubling up to 10 s. */
export class Backoff {
  #attempt = 0;

  constructor(readonly initialMs = 250, readonly maxMs = 10_000) {}

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}
