/**
 * The process life of a daemon, shared by `jobd` and `jobd-master`:
 * arguments, config, logging, start, then signals until a clean exit.
 */

import { ConfigError } from "./config/ini_file.ts";
import { exitWith, parseDaemonArgs } from "./daemon_args.ts";
import { configureLogging, jobdLogger, type Logging, type LoggingOptions } from "./log.ts";
import { messageOf } from "./text.ts";

/** What differs between the two daemons. */
export interface DaemonProgram<Config, Daemon> {
  /** Program name, as in messages: `jobd`. */
  name: string;
  /** `--help` text. */
  usage: string;
  /** Loads and validates the config file; throws `ConfigError` naming file and key. */
  load(path: string): Promise<{ config: Config; warnings: string[] }>;
  /** Logging settings of a config, secrets included. */
  logging(config: Config): LoggingOptions;
  /** Starts the daemon; throws when it cannot (port in use, database away). */
  start(config: Config): Promise<Daemon>;
  /** The config the daemon runs with now. */
  runningConfig(daemon: Daemon): Config;
  /** Graceful shutdown (first SIGTERM/SIGINT). */
  shutdown(daemon: Daemon): Promise<void>;
  /** A second SIGTERM/SIGINT during shutdown: stop waiting. */
  hurry?(daemon: Daemon): void;
  /** Applies a reloaded config (SIGHUP). */
  reload(daemon: Daemon, config: Config): void;
}

/**
 * Runs a daemon to the end and resolves to the exit status: 0 after a clean
 * shutdown, 1 when the config is invalid or the daemon cannot start.
 */
export async function runDaemon<Config, Daemon>(
  program: DaemonProgram<Config, Daemon>,
  args: string[],
): Promise<number> {
  const command = parseDaemonArgs(args, program.name, program.usage);
  if (command.action === "exit") exitWith(command);
  const log = jobdLogger("daemon");

  let loaded;
  try {
    loaded = await program.load(command.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config parsing error: ${error.message}`);
    return 1;
  }
  let logging: Logging;
  try {
    logging = await configureLogging(program.logging(loaded.config));
  } catch (error) {
    console.error(`${program.name}: cannot start: ${messageOf(error)}`);
    return 1;
  }
  for (const warning of loaded.warnings) log.warn("{warning}", { warning });

  let daemon: Daemon;
  try {
    daemon = await program.start(loaded.config);
  } catch (error) {
    log.error("Cannot start: {error}", { error: messageOf(error) });
    await logging.dispose();
    console.error(`${program.name}: cannot start: ${messageOf(error)}`);
    return 1;
  }

  // The last line of defence of "one bad request or job never kills the
  // daemon": a rejection nobody handled is a bug to log, not a reason to
  // abandon the running jobs.
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    log.error("Unhandled rejection (a bug; the daemon goes on): {error}", { error: event.reason });
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);

  const stopped = Promise.withResolvers<void>();
  let shuttingDown = false;
  const stop = (signal: Deno.Signal) => {
    if (shuttingDown) {
      log.warn("{signal} again: not waiting any longer", { signal });
      program.hurry?.(daemon);
      return;
    }
    shuttingDown = true;
    log.info("{signal} received, shutting down", { signal });
    program.shutdown(daemon).then(stopped.resolve, stopped.reject);
  };
  const reload = async () => {
    try {
      const next = await program.load(command.configPath);
      for (const warning of next.warnings) log.warn("{warning}", { warning });
      // Secrets that need a restart stay in use: keep masking the old ones too.
      const options = program.logging(next.config);
      const running = program.logging(program.runningConfig(daemon));
      await logging.reconfigure({
        ...options,
        secrets: [...options.secrets ?? [], ...running.secrets ?? []],
      });
      program.reload(daemon, next.config);
    } catch (error) {
      log.error("Config reload failed, keeping the running config: {error}", {
        error: messageOf(error),
      });
    }
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGHUP", reload);
  try {
    await stopped.promise;
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGHUP", reload);
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    await logging.dispose();
  }
  return 0;
}
