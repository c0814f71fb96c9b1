/**
 * How long the master waits for a worker's answer. `poll`, `pause`,
 * `continue` and `send-signal` wait `request_timeout` seconds (config,
 * `DEFAULT_REQUEST_TIMEOUT` in config/defaults.ts). `run-manual` has no limit
 * (jobs may run for hours); a worker that answers nothing, not even pings, is
 * dropped by the heartbeat, which fails the request.
 *
 * @module
 */

/**
 * Seconds to wait for a worker's `status` in a master `status` with
 * `poll_workers`, `request_timeout` when that is shorter.
 */
export const WORKER_STATUS_TIMEOUT = 5;

/**
 * Seconds the master's HTTP readers (the status page, `/metrics`) wait for one
 * worker's answer: at most this, `request_timeout` when shorter.
 */
export const STATUS_REQUEST_TIMEOUT = 3;

/** Milliseconds one part of what they read may take, workers passed over for the next included. */
export const STATUS_PART_DEADLINE_MS = 8000;

/**
 * An HTTP reader's limits when it asks one worker of several: each worker
 * {@linkcode readerTimeout}, all of them together one part's deadline.
 */
export function readerLimits(
  settings: { readonly requestTimeout: number },
): { timeout: number; budget: number } {
  return { timeout: readerTimeout(settings), budget: STATUS_PART_DEADLINE_MS / 1000 };
}

/** The seconds an HTTP reader waits for a worker, under `request_timeout` as it is now. */
export function readerTimeout(settings: { readonly requestTimeout: number }): number {
  return Math.min(STATUS_REQUEST_TIMEOUT, settings.requestTimeout);
}
