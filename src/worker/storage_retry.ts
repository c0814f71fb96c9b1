/**
 * The worker's retries of storage operations while the database is away:
 * each operation is tried again with backoff (`retry_policy.ts`) until it
 * succeeds, until it fails for a reason a retry cannot fix
 * (`storage/errors.ts`), or until the worker abandons its retries (a
 * hurried shutdown). One instance serves the whole worker: the running
 * marks, the releases and the result writes.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { isTransientStorageError, retryLogLevel } from "../storage/errors.ts";
import { retry } from "../retry_policy.ts";
import { Sleeper } from "./sleeper.ts";
import { FailureRun, formatLength } from "../outage.ts";

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
   * `retryAnyway` retries errors that are not transient too, logged as an
   * error once per reason (a table that refuses a write for good, a trigger,
   * would otherwise log one at every retry for as long as the worker runs;
   * the repeats are at debug), and the success after them as a warning.
   */
  async run<T>(
    what: string,
    operation: () => Promise<T>,
    retryAnyway: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    // Made at the first refusal: most operations succeed at once, once per job.
    let refusals: FailureRun | undefined;
    const result = await retry(operation, {
      retryable: (error) =>
        !this.#abandoned && (isTransientStorageError(error) || retryAnyway(error)),
      sleep: (ms) => this.#sleeper.sleep(ms),
      onRetry: (error, delay) => {
        const reason = messageOf(error);
        let level = retryLogLevel(error);
        if (level === "error" && !(refusals ??= new FailureRun()).failed(reason)) level = "debug";
        log[level]("Cannot {what}, retrying in {delay} ms: {error}", {
          what,
          delay,
          error: reason,
        });
      },
    });
    const refusedFor = refusals?.succeeded();
    if (refusedFor !== undefined) {
      log.warn("Could {what} after it was refused for {length}", {
        what,
        length: formatLength(refusedFor),
      });
    }
    return result;
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
