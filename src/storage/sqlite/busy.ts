/**
 * Waiting for another connection's lock without freezing the process.
 *
 * `node:sqlite` is synchronous: SQLite's own busy handler would block the
 * whole worker (requests, pings, running jobs' output) for as long as it
 * waits. So SQLite waits only a short slice per attempt, and between
 * attempts the event loop runs.
 */

/** SQLite's own, blocking, wait for a lock per attempt (`PRAGMA busy_timeout`), 50 ms. */
export const BUSY_SLICE_MS = 50;

/** Pause after the first busy attempt, doubled for each later one up to the maximum. */
const RETRY_DELAY_MS = 10;

/** Longest pause between two attempts. */
const RETRY_MAX_DELAY_MS = 200;

/**
 * Whether `error` means another connection holds the lock: SQLITE_BUSY or
 * SQLITE_LOCKED (in `errcode`, primary or extended), or, on errors of
 * `DatabaseSync.exec()` that carry no code, their message.
 */
export function isBusy(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { errcode, message } = error as { errcode?: unknown; message?: unknown };
  if (typeof errcode === "number") {
    const primary = errcode & 0xff;
    return primary === 5 || primary === 6;
  }
  return typeof message === "string" && /^database (table )?is locked/.test(message);
}

/**
 * Runs `attempt` (synchronous: one statement, or one whole transaction) and
 * runs it again while it fails because the database is busy, pausing a
 * little longer each time, for at most `timeoutMs` in all. Then, or on any
 * other error, the error is thrown.
 */
export async function retryWhileBusy<T>(
  attempt: () => T,
  options: { timeoutMs: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let round = 0;; round++) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
    const delay = Math.min(RETRY_MAX_DELAY_MS, RETRY_DELAY_MS * 2 ** round) *
      (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, deadline - Date.now())));
  }
}
