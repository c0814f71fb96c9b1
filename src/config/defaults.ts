/**
 * Every default of the three config files, in one place. README, `--help` and
 * the example configs quote these; the loaders apply them. Durations are in
 * seconds, as in the config files.
 *
 * Keys without a default are required (README.md, the `*` keys): the daemons' `host` and
 * `port`, the worker's `launcher` and, with `storage = mysql`, `mysql_host`,
 * `mysql_port`, `mysql_user`, `mysql_password` (may be empty) and
 * `mysql_database`; with `storage = sqlite`, `sqlite_path`.
 *
 * @module
 */

/** Where the worker's (`jobd`) config file is installed, as the examples and service files have it. */
export const DEFAULT_WORKER_CONFIG_PATH = "/etc/jobd.conf";

/** Where the master's (`jobd-master`) config file is installed, as the examples and service files have it. */
export const DEFAULT_MASTER_CONFIG_PATH = "/etc/jobd-master.conf";

/** Name of jobctl's config file in the user's home directory: `~/.jobctl.conf`. */
export const JOBCTL_CONFIG_FILE_NAME = ".jobctl.conf";

/**
 * Conventional worker port, 7080. The worker's config must name its `port`;
 * this is the port jobctl talks to when neither its config nor `--port` says.
 */
export const DEFAULT_WORKER_PORT = 7080;

/**
 * Conventional master port, 7081. The master's config must name its `port`;
 * this is the port `jobctl --master` talks to when nothing else says.
 */
export const DEFAULT_MASTER_PORT = 7081;

/** Host jobctl connects to when neither its config nor `--host` says: `127.0.0.1`. */
export const DEFAULT_JOBCTL_HOST = "127.0.0.1";

/** `always_allow_localhost`: loopback peers need the password too, `false`. */
export const DEFAULT_ALWAYS_ALLOW_LOCALHOST = false;

/**
 * `log_level_file`, `log_level_console` and jobctl's `log_level`: `warn`.
 * Defined beside the level names in the leaf `log_levels.ts`, so that the
 * logging setup (log.ts) needs nothing from config/.
 */
export { DEFAULT_LOG_FORMAT, DEFAULT_LOG_LEVEL } from "../log_levels.ts";

/**
 * `master_reconnect_timeout`: seconds a worker waits before it reconnects to
 * a master that went away, 10. Must be ≥ 0.05 (config/timer_limit.ts MIN_PERIOD_SECONDS).
 */
export const DEFAULT_MASTER_RECONNECT_TIMEOUT = 10;

/** `storage`: where the jobs table lives, `mysql` (the other choice is `sqlite`). */
export const DEFAULT_STORAGE = "mysql";

/**
 * `mysql_table`: name of the jobs table, `jobs`. It names the table for
 * either storage; the key keeps its old name for compatibility.
 */
export const DEFAULT_MYSQL_TABLE = "jobs";

/** `mysql_fetch_limit`: most rows one claim query takes, 100. Must be ≥ 1. */
export const DEFAULT_MYSQL_FETCH_LIMIT = 100;

/** `max_output_buffer`: bytes of stdout and of stderr kept per job, 1048576 (1 MiB). */
export const DEFAULT_MAX_OUTPUT_BUFFER = 1048576;

/**
 * `poll_interval`: seconds between the worker's own polls, 60. The worker
 * also polls once at start-up; 0 turns both off (it claims only when poked,
 * and when `delayed` rows fall due); any other value must be ≥ 0.05.
 */
export const DEFAULT_POLL_INTERVAL = 60;

/**
 * `shutdown_timeout`: seconds running jobs get to finish after SIGTERM or
 * SIGINT before they are killed, 30. 0 kills them at once.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 30;

/**
 * `recover_running`: what start-up recovery does with a job that was
 * `running` when this worker last stopped, `fail` (mark it `done` with result
 * `fail` and an explanation in `stderr`). `requeue` puts it back to `waiting`.
 */
export const DEFAULT_RECOVER_RUNNING = "fail";

/**
 * `max_connections` (worker and master): most client and worker connections
 * open at once, 1000. One more gets an error and is closed; this also keeps
 * file descriptors free for jobs' pipes. Must be ≥ 1.
 */
export const DEFAULT_MAX_CONNECTIONS = 1000;

/**
 * `request_timeout` (master): seconds the master waits for a worker's answer
 * to a request it forwards (`poll`, `pause`, `continue`, `send-signal`), 30.
 * `run-manual` waits for its jobs however long they run; a worker that
 * answers nothing, not even pings, is dropped after two `ping_interval`s,
 * which fails its requests. Must be > 0.
 */
export const DEFAULT_REQUEST_TIMEOUT = 30;

/**
 * jobctl's `--timeout`: seconds it waits to connect and for each answer,
 * `DEFAULT_REQUEST_TIMEOUT` + 5 = 35 (`0` waits for ever). It outlasts the
 * master's wait for a worker, so that the master's error naming a silent
 * worker reaches the operator. `run-manual` waits for its jobs whatever this
 * says, unless `--timeout` is given.
 */
export const DEFAULT_JOBCTL_TIMEOUT = DEFAULT_REQUEST_TIMEOUT + 5;

/** `ping_interval`: seconds between the master's pings to each worker, 30. Must be ≥ 0.05. */
export const DEFAULT_PING_INTERVAL = 30;

/**
 * `poke_throttle_interval`: seconds the master gathers pokes before it sends
 * the merged polls, 0.5 (fractional). 0 sends them on the next tick.
 */
export const DEFAULT_POKE_THROTTLE_INTERVAL = 0.5;

/**
 * `name`: the worker's name as the master lists it; defaults to this
 * machine's host name. Needs the `sys` permission (`hostname`).
 */
export function defaultWorkerName(): string {
  return Deno.hostname();
}

/*
 * `launcher.cwd` has no constant: without it the launcher runs in the
 * worker's current directory.
 */

/**
 * `timeout`: seconds a job may run before its process group gets SIGTERM, 0
 * (no limit). A row's own `timeout` column, where the table has it and the
 * value is not NULL, overrides it (0 = no limit for that row).
 */
export const DEFAULT_TIMEOUT = 0;

/** `timeout_grace`: seconds between the SIGTERM of a timed-out job and its SIGKILL, 10. */
export const DEFAULT_TIMEOUT_GRACE = 10;

/**
 * `max_attempts`: how many times a failed background job is started in all,
 * 1 (no retry). More needs the optional columns `attempts`, `time_run_at`
 * and the status `delayed` (examples/schema.sql).
 */
export const DEFAULT_MAX_ATTEMPTS = 1;

/** `retry_delay`: seconds before the first retry, 10; it doubles with each further attempt. */
export const DEFAULT_RETRY_DELAY = 10;

/** `retry_delay_max`: the longest delay between two attempts, 3600 seconds. */
export const DEFAULT_RETRY_DELAY_MAX = 3600;

/*
 * `retry_exit_codes` has no constant: without it every failure is retried
 * (non-zero exit, signal, timeout, a launcher that could not start).
 */

/**
 * `http_port` (worker and master): the port of the HTTP server (`/health`,
 * `/metrics`; the master's status page), 0 = no HTTP server.
 */
export const DEFAULT_HTTP_PORT = 0;

/** `http_host` (worker and master): the address the HTTP server listens on, `127.0.0.1`. */
export const DEFAULT_HTTP_HOST = "127.0.0.1";
