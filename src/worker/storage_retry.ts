/**
 * The worker's retries of storage operations while the database is away:
 * each operation is tried again with backoff until it succeeds, until it
 * fails for a reason a retry cannot fix, or until the worker abandons its
 * retries (a hurried shutdown).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { isTransientStorageError } from "../storage/errors.ts";
import { Backoff } from "./backoff.ts";
import { Sleeper } from "./sleeper.ts";

const log = getLogger(["jobd", "worker"]);

/**
 * Runs storage operations again while they fail with a transient error;
 * `wakeAll()` cuts the waits short, `abandon()` ends the retries.
 */
export class StorageRetry {
  #abandoned = false;
  /** Wakes the retries that are waiting out a backoff. */
  readonly #sleeper = new Sleeper();

  /** Whether retries were abandoned: a failed operation now fails at once. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * Runs `operation` until it succeeds while the database is away (not after
   * `abandon()`); `what` names it in the log (`mark job 5 running`).
   */
  async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const backoff = new Backoff();
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!isTransientStorageError(error) || this.#abandoned) throw error;
        const delay = backoff.next();
        log.warn("Cannot {what}, retrying in {delay} ms: {error}", {
          what,
          delay,
          error: String(error),
        });
        await this.#sleeper.sleep(delay);
      }
    }
  }

  /** Ends every backoff wait now: the operations waiting are tried again at once. */
  wakeAll(): void {
    this.#sleeper.wakeAll();
  }

  /** Retries no more: an operation that fails from now on throws its error. */
  abandon(): void {
    this.#abandoned = true;
    this.#sleeper.wakeAll();
  }
}
