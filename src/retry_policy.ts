/**
 * The one retry policy of jobd: exponential backoff with one jitter formula,
 * and the one loop that runs an operation again until it succeeds, fails for
 * a reason a retry cannot fix, runs out of attempts or time, or is abandoned.
 * Used by the stores (lock conflicts), the worker (the database being away)
 * and the worker's link to its master (reconnects). What is worth a retry is
 * decided by each caller's `retryable`: for storage, `storage/errors.ts`.
 *
 * @module
 */

/** The delays of a backoff: the first, doubled for each later one, up to the longest. */
export interface BackoffSteps {
  /** Delay before the first retry, in milliseconds. */
  readonly firstMs: number;
  /** Longest delay, in milliseconds. */
  readonly maxMs: number;
}

/** While the database is away (a claim, a running mark, a result write): 250 ms doubling to 10 s. */
export const OUTAGE_BACKOFF: BackoffSteps = { firstMs: 250, maxMs: 10_000 };

/**
 * After a lost lock conflict (a MySQL deadlock or lock wait timeout, an SQLite
 * database busy or locked): 10 ms doubling to 200 ms, the other transaction
 * being short.
 */
export const LOCK_BACKOFF: BackoffSteps = { firstMs: 10, maxMs: 200 };

/**
 * A target whose claims fail while the others' work (`worker/claim_isolation.ts`):
 * 1 s doubling to 60 s.
 */
export const FAILING_TARGET_BACKOFF: BackoffSteps = { firstMs: 1000, maxMs: 60_000 };

/**
 * Taking the lock on the worker's name again after its connection was lost
 * (`storage/mysql/name_lock.ts`): 500 ms doubling to 10 s.
 */
export const NAME_LOCK_BACKOFF: BackoffSteps = { firstMs: 500, maxMs: 10_000 };

/**
 * `ms` spread by up to a quarter either way, so that peers that failed
 * together do not retry together.
 */
export function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

/** Exponential backoff with {@linkcode jitter}. */
export class Backoff {
  readonly #steps: BackoffSteps;
  #attempt = 0;

  constructor(steps: BackoffSteps = OUTAGE_BACKOFF) {
    this.#steps = steps;
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const { firstMs, maxMs } = this.#steps;
    const base = Math.min(maxMs, firstMs * 2 ** this.#attempt);
    this.#attempt++;
    return jitter(base);
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** How {@linkcode retry} retries. */
export interface RetryOptions {
  /** Whether a failure is worth another attempt (checked before every wait). */
  retryable(error: unknown): boolean;
  /** The delays between attempts (default {@linkcode OUTAGE_BACKOFF}). */
  steps?: BackoffSteps;
  /** Attempts in all before the error is thrown (default: no limit). */
  attempts?: number;
  /** Milliseconds after which the error is thrown instead of waiting again (default: none). */
  timeoutMs?: number;
  /** Waits `ms` (default a timer; an interruptible sleep lets a shutdown cut it short). */
  sleep?(ms: number): Promise<void>;
  /** Called before each wait, with the error and the delay (to log them). */
  onRetry?(error: unknown, delayMs: number): void;
}

/**
 * Runs `operation` until it succeeds; after a failure that is `retryable`,
 * waits out the backoff and runs it again, unless the attempts or the time
 * are used up. Other failures are thrown at once.
 */
export async function retry<T>(
  operation: () => T | Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const backoff = new Backoff(options.steps);
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const exhausted = attempt >= (options.attempts ?? Infinity) || Date.now() >= deadline;
      if (exhausted || !options.retryable(error)) throw error;
      const delay = Math.min(backoff.next(), Math.max(0, deadline - Date.now()));
      options.onRetry?.(error, delay);
      await sleep(delay);
    }
  }
}
