/**
 * How long the master waits for a worker's answer. `poll`, `pause`,
 * `continue` and `send-signal` wait `request_timeout` seconds (config,
 * `DEFAULT_REQUEST_TIMEOUT` in config/defaults.ts). `run-manual` has no limit
 * (jobs may run for hours); a worker that answers nothing, not even pings, is
 * dropped by the heartbeat, which fails the request.
 *
 * @module
 */

/** Seconds to wait for a worker's `status` in a master `status` with `poll_workers`. */
export const WORKER_STATUS_TIMEOUT = 5;
