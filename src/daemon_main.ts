/**
 * The process life of a daemon, shared by `jobd` and `jobd-master`:
 * arguments, config, logging, start, then signals until a clean exit; or,
 * with `--check-config`, the config checked and what it would serve printed.
 */

import { type ConfigEntries, ConfigError } from "./config/ini_file.ts";
import { configChanges, describeChanges } from "./config/config_changes.ts";
import { exitWith, parseDaemonArgs } from "./daemon_args.ts";
import { type SummaryItem, summaryLines } from "./daemon_summary.ts";
import {
  configureLogging,
  jobdLogger,
  type Logging,
  type LoggingOptions,
  noticeLogger,
} from "./log.ts";
import { ListenError } from "./net/errors.ts";
import { messageOf } from "./text.ts";

/** What differs between the two daemons. */
export interface DaemonProgram<Config, Daemon> {
  /** Program name, as in messages: `jobd`. */
  name: string;
  /** `--help` text. */
  usage: string;
  /**
   * Loads and validates the config file; throws `ConfigError` naming file and
   * key. `entries`: the file's settings as written, to tell what a reload changed.
   */
  load(path: string): Promise<{ config: Config; warnings: string[]; entries: ConfigEntries }>;
  /**
   * `--check-config`: checks what `load` leaves to start-up and needs no
   * database (the job board's file), and says what the daemon would serve.
   * Throws a `ConfigError` naming the file and key.
   */
  check(config: Config): Promise<SummaryItem[]>;
  /** Logging settings of a config, secrets included. */
  logging(config: Config): LoggingOptions;
  /** Starts the daemon; throws when it cannot (port in use, database away). */
  start(config: Config): Promise<Daemon>;
  /** The line that says, once started, what the daemon serves (daemon_summary.ts). */
  summary(daemon: Daemon): string;
  /** The config the daemon runs with now. */
  runningConfig(daemon: Daemon): Config;
  /** Graceful shutdown (first SIGTERM/SIGINT). */
  shutdown(daemon: Daemon): Promise<void>;
  /** A second SIGTERM/SIGINT during shutdown: stop waiting. */
  hurry?(daemon: Daemon): void;
  /** Applies a reloaded config (SIGHUP); says what its log line adds to or changes in the file's changes. */
  reload(daemon: Daemon, config: Config): ReloadNotes;
}

/** What a reload's log line says beyond the file's changes since the last load; usually nothing. */
export interface ReloadNotes {
  /** Changes applied beyond the file's (a change an earlier reload could not make). */
  applied?: readonly string[];
  /** The file's `[targets]` changes the daemon refused, by target: what to say instead. */
  refused?: ReadonlyMap<string, string>;
}

/**
 * Whether stderr is read by systemd's journal: systemd sets
 * `JOURNAL_STREAM` for a service whose output goes there.
 */
export function underJournal(): boolean {
  try {
    return (Deno.env.get("JOURNAL_STREAM") ?? "") !== "";
  } catch {
    return false; // No permission to read the environment: plain lines.
  }
}

/**
 * `--check-config`, as `nginx -t` does: 0 and what the daemon would serve on
 * stdout when the config is good, 1 and the error (naming key and file) on
 * stderr when it is not. Touches no database.
 */
export async function checkConfig<Config, Daemon>(
  program: DaemonProgram<Config, Daemon>,
  path: string,
): Promise<number> {
  try {
    const { config, warnings } = await program.load(path);
    for (const warning of warnings) console.error(`${program.name}: warning: ${warning}`);
    const items = await program.check(config);
    console.log(`${program.name}: the configuration file ${path} is valid; it would serve:`);
    console.log(summaryLines(items));
    console.log(`${program.name}: configuration file ${path} test is successful`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${program.name}: ${error.message}`);
    console.error(`${program.name}: configuration file ${path} test failed`);
    return 1;
  }
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
  if (command.action === "check") return await checkConfig(program, command.configPath);
  const log = jobdLogger("daemon");
  const notice = noticeLogger("daemon");
  const configPath = command.configPath;

  // A SIGHUP during start-up is held and applied once started: without a
  // listener, it would end the process.
  let daemon: Daemon | undefined;
  let reloadHeld = false;
  let reload: () => void = () => {};
  const onHup = () => {
    if (daemon !== undefined) return reload();
    reloadHeld = true;
    log.info("SIGHUP during start-up: the config is reloaded once started");
  };
  Deno.addSignalListener("SIGHUP", onHup);
  try {
    let loaded;
    try {
      loaded = await program.load(configPath);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`config parsing error: ${error.message}`);
      return 1;
    }
    const journal = underJournal();
    let logging: Logging;
    try {
      logging = await configureLogging({ ...program.logging(loaded.config), journal });
    } catch (error) {
      console.error(`${program.name}: cannot start: ${messageOf(error)}`);
      return 1;
    }
    for (const warning of loaded.warnings) log.warn("{warning}", { warning });
    log.debug("Config {path} loaded; starting", { path: configPath });
    // The settings as written, to tell what a reload changes.
    let entries = loaded.entries;

    let started: Daemon;
    try {
      started = await program.start(loaded.config);
    } catch (error) {
      // One line, through the logger: on the console (every level writes
      // errors) and in the log file; a second plain line would be a second
      // journal entry under systemd.
      const hint = error instanceof ListenError ? error.hint(program.name, configPath) : "";
      log.error("Cannot start: {error}", { error: messageOf(error) + hint });
      await logging.dispose();
      return 1;
    }
    daemon = started;
    notice.info("{summary}", { summary: program.summary(started) });

    // The last line of defence of "one bad request or job never kills the
    // daemon": a rejection nobody handled is a bug to log, not a reason to
    // abandon the running jobs.
    const onUnhandled = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      log.error("Unhandled rejection (a bug; the daemon goes on): {error}", {
        error: event.reason,
      });
    };
    globalThis.addEventListener("unhandledrejection", onUnhandled);

    const stopped = Promise.withResolvers<void>();
    let shuttingDown = false;
    const stop = (signal: Deno.Signal) => {
      if (shuttingDown) {
        log.warn("{signal} again: not waiting any longer", { signal });
        program.hurry?.(started);
        return;
      }
      shuttingDown = true;
      log.info("{signal} received, shutting down", { signal });
      program.shutdown(started).then(stopped.resolve, stopped.reject);
    };
    const reloadOnce = async () => {
      if (shuttingDown) return;
      try {
        const next = await program.load(configPath);
        for (const warning of next.warnings) log.warn("{warning}", { warning });
        // Secrets that need a restart stay in use: keep masking the old ones too.
        const options = program.logging(next.config);
        const running = program.logging(program.runningConfig(started));
        await logging.reconfigure({
          ...options,
          journal,
          secrets: [...options.secrets ?? [], ...running.secrets ?? []],
        });
        const notes = program.reload(started, next.config);
        notice.info("Config reloaded from {path}: {changes}", {
          path: configPath,
          changes: describeChanges([
            ...configChanges(entries, next.entries, notes.refused),
            ...notes.applied ?? [],
          ]),
        });
        entries = next.entries;
      } catch (error) {
        log.error("Config reload failed, keeping the running config: {error}", {
          error: messageOf(error),
        });
      }
    };
    // Reloads run one after another, each against the settings the last one applied.
    let reloading = Promise.resolve();
    reload = () => {
      reloading = reloading.then(reloadOnce);
    };
    if (reloadHeld) reload();

    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    Deno.addSignalListener("SIGTERM", onTerm);
    Deno.addSignalListener("SIGINT", onInt);
    try {
      await stopped.promise;
    } finally {
      Deno.removeSignalListener("SIGTERM", onTerm);
      Deno.removeSignalListener("SIGINT", onInt);
      globalThis.removeEventListener("unhandledrejection", onUnhandled);
      await logging.dispose();
    }
    return 0;
  } finally {
    Deno.removeSignalListener("SIGHUP", onHup);
  }
}
