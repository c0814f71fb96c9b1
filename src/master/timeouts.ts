/**
 * How long the master waits for a worker's answer. `run-manual` has no limit
 * (jobs may run for hours); a worker that dies meanwhile is dropped by the
 * heartbeat, which fails the request.
 *
 * @module
 */

/** Seconds to wait for a worker's `poll`, `pause`, `continue` or `send-signal` answer. */
export const FORWARD_TIMEOUT = 10;

/** Seconds to wait for a worker's `status` in a master `status` with `poll_workers`. */
export const WORKER_STATUS_TIMEOUT = 5;
