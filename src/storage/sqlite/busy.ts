/**
 * Waiting for another connection's lock without freezing the process.
 *
 * `node:sqlite` is synchronous: SQLite's own busy handler would block the
 * whole worker (requests, pings, running jobs' output) for as long as it
 * waits. So SQLite waits only a short slice per attempt, and between
 * attempts the event loop runs.
 */

import { LOCK_BACKOFF, retry } from "../../retry_policy.ts";
import { isLockConflict } from "../errors.ts";

/** SQLite's own, blocking, wait for a lock per attempt (`PRAGMA busy_timeout`), 50 ms. */
export const BUSY_SLICE_MS = 50;

/**
 * Runs `attempt` (synchronous: one statement, or one whole transaction) and
 * runs it again while it fails because the database is busy (a lock
 * conflict, `storage/errors.ts`), pausing a little longer each time
 * ({@linkcode LOCK_BACKOFF}), for at most `timeoutMs` in all. Then, or on any
 * other error, the error is thrown.
 */
export function retryWhileBusy<T>(
  attempt: () => T,
  options: { timeoutMs: number },
): Promise<T> {
  return retry(attempt, {
    retryable: isLockConflict,
    steps: LOCK_BACKOFF,
    timeoutMs: options.timeoutMs,
  });
}
