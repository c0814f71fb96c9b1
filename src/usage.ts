/** The `--help` texts of the two daemons, quoting the defaults from one place. */

import * as d from "./config/defaults.ts";

/** `jobd --help`. */
export const workerUsage = `jobd: the jobd worker. Claims jobs from a MySQL/MariaDB (or SQLite) jobs
table for the targets it serves and runs each through the configured launcher.

Usage: jobd --config PATH
       jobd --check-config --config PATH

Options:
  -c, --config PATH   worker config file (ini), e.g. ${d.DEFAULT_WORKER_CONFIG_PATH}
  -t, --check-config  check the config and its job board, print what it would
                      serve and exit 0, or the error (naming key and file) and
                      exit 1; needs no database
  -h, --help          show this help
  -V, --version       print the version

Config keys (* = required):
  host*, port*                 address to listen on (port ${d.DEFAULT_WORKER_PORT} by convention)
  password                     clients' first request must carry it; also sent to the master
  always_allow_localhost       loopback clients need no password (default ${d.DEFAULT_ALWAYS_ALLOW_LOCALHOST})
  name                         name shown by the master (default: host name)
  master_host, master_port     register with this master
  master_reconnect_timeout     seconds between attempts to reach the master, and between
                               pings to it (default ${d.DEFAULT_MASTER_RECONNECT_TIMEOUT})
  storage                      mysql or sqlite (default ${d.DEFAULT_STORAGE})
  mysql_host*, mysql_port*, mysql_user*, mysql_password*, mysql_database*
                               (storage = mysql; mysql_password may be empty)
  sqlite_path*                 (storage = sqlite)
  mysql_table                  jobs table (default ${d.DEFAULT_MYSQL_TABLE})
  mysql_fetch_limit            most rows one claim takes (default ${d.DEFAULT_MYSQL_FETCH_LIMIT})
  launcher*                    command template, {id} = job id; no shell, shell-style quoting
  launcher.cwd                 the launcher's directory (default: the worker's own)
  launcher.env.NAME            a variable added to the launcher's environment
  max_output_buffer            bytes of stdout and of stderr kept per job (default ${d.DEFAULT_MAX_OUTPUT_BUFFER})
  poll_interval                seconds between the worker's own polls, 0 = off (default ${d.DEFAULT_POLL_INTERVAL})
  shutdown_timeout             seconds running jobs get on SIGTERM/SIGINT (default ${d.DEFAULT_SHUTDOWN_TIMEOUT})
  recover_running              fail or requeue: jobs left running by a crash (default ${d.DEFAULT_RECOVER_RUNNING})
  max_connections              most connections open at once; one more gets an error
                               and is closed (default ${d.DEFAULT_MAX_CONNECTIONS})
  http_port, http_host         HTTP /health and /metrics; 0 = off (default ${d.DEFAULT_HTTP_PORT},
                               ${d.DEFAULT_HTTP_HOST})
  schedules                    a job board file: recurring jobs (README "The job board")
  log_file, log_level_file, log_level_console   trace|debug|info|warn|error (default ${d.DEFAULT_LOG_LEVEL})
  log_format                   text or json: one JSON object per line (default ${d.DEFAULT_LOG_FORMAT})
  timeout                      seconds a job may run, 0 = no limit (default ${d.DEFAULT_TIMEOUT})
  timeout_grace                seconds from a timed-out job's SIGTERM to its SIGKILL (default ${d.DEFAULT_TIMEOUT_GRACE})
  max_attempts                 starts of a failed background job in all, 1 = no retry (default ${d.DEFAULT_MAX_ATTEMPTS})
  retry_delay                  seconds before the first retry, doubled for each next (default ${d.DEFAULT_RETRY_DELAY})
  retry_delay_max              the longest delay between attempts (default ${d.DEFAULT_RETRY_DELAY_MAX})
  retry_exit_codes             retry only these exit codes, such as 75, 111 (default: every failure)
  [targets]                    one 'name = concurrency' line per target
  [target:NAME]                timeout and retry keys for one target, over the top-level ones

Signals: SIGTERM/SIGINT shut down gracefully (a second one sends running jobs
SIGTERM at once, SIGKILL 5 s later), SIGHUP reloads the config file; these keys
keep their running values until a restart: host, port, password,
always_allow_localhost, name, max_connections, http_port, http_host, master_*,
storage, sqlite_path and mysql_* (but mysql_fetch_limit).`;

/** `jobd-master --help`. */
export const masterUsage =
  `jobd-master: the jobd master. Workers register with it; it fans poke, pause,
continue, run-manual, send-signal and status out to them.

Usage: jobd-master --config PATH
       jobd-master --check-config --config PATH

Options:
  -c, --config PATH   master config file (ini), e.g. ${d.DEFAULT_MASTER_CONFIG_PATH}
  -t, --check-config  check the config, print what it would serve and exit 0,
                      or the error (naming key and file) and exit 1
  -h, --help          show this help
  -V, --version       print the version

Config keys (* = required):
  host*, port*                 address to listen on (port ${d.DEFAULT_MASTER_PORT} by convention)
  password                     clients' and workers' first request must carry it
  always_allow_localhost       loopback peers need no password (default ${d.DEFAULT_ALWAYS_ALLOW_LOCALHOST})
  ping_interval                seconds between pings to each worker (default ${d.DEFAULT_PING_INTERVAL})
  poke_throttle_interval       seconds over which pokes are merged (default ${d.DEFAULT_POKE_THROTTLE_INTERVAL})
  request_timeout              seconds to wait for a worker's answer to a forwarded
                               request; run-manual waits for its jobs (default ${d.DEFAULT_REQUEST_TIMEOUT})
  max_connections              most connections open at once; one more gets an error
                               and is closed (default ${d.DEFAULT_MAX_CONNECTIONS})
  http_port, http_host         HTTP /health, /metrics and the status page; 0 = off
                               (default ${d.DEFAULT_HTTP_PORT}, ${d.DEFAULT_HTTP_HOST})
  log_file, log_level_file, log_level_console   trace|debug|info|warn|error (default ${d.DEFAULT_LOG_LEVEL})
  log_format                   text or json: one JSON object per line (default ${d.DEFAULT_LOG_FORMAT})

Signals: SIGTERM/SIGINT shut down cleanly, SIGHUP reloads the config file (host,
port, password, always_allow_localhost, max_connections, http_port and http_host
need a restart).`;
