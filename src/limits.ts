/**
 * Grace periods that are not config keys, each named once: how long a
 * shutdown waits between its steps. The other limits live beside the code
 * they bound; ARCHITECTURE.md ("Defaults and limits") lists where each one is.
 *
 * @module
 */

/** Milliseconds from SIGTERM to SIGKILL when a shutdown kills running jobs: 5 s. */
export const KILL_GRACE_MS = 5_000;

/**
 * Milliseconds a shutdown waits after SIGKILL for jobs whose pipes are still
 * open (a killed launcher's children may hold them) before it leaves their
 * rows `running` to start-up recovery: 10 s.
 */
export const KILLED_JOBS_WAIT_MS = 10_000;

/**
 * Milliseconds a closing server (and each of its connections) waits for
 * answers still being written, run-manual answers among them: 5 s.
 */
export const CLOSE_GRACE_MS = 5_000;
