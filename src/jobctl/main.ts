/**
 * jobctl from arguments to exit status: read the command line and the config
 * file, ask for the password when told to, connect, send the command's
 * request, print the answer. Every failure becomes a message on stderr and
 * an exit status (see {@linkcode ExitCode}), never a stack trace.
 *
 * @module
 */

import {
  DEFAULT_JOBCTL_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MASTER_PORT,
  DEFAULT_WORKER_PORT,
} from "../config/defaults.ts";
import { ConfigError } from "../config/ini_file.ts";
import { type JobctlConfig, loadJobctlConfig } from "../config/jobctl_config.ts";
import { formatAddress } from "../net/address.ts";
import { MasterClient, WorkerClient } from "../net/client.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestTimeoutError,
} from "../net/errors.ts";
import { configureLogging, jobdLogger, type LogLevel } from "../log.ts";
import { VERSION } from "../version.ts";
import { type CommandLine, type CommandLineOptions, parseCommandLine } from "./args.ts";
import { type Command, type Mode, UnexpectedAnswerError } from "./command.ts";
import { findCommand } from "./commands.ts";
import { commandHelp, ExitCode, programHelp } from "./help.ts";
import { PromptCancelledError, promptPassword } from "./password.ts";
import type { Style } from "./table.ts";
import { UsageError } from "./usage_error.ts";
import { messageOf } from "../text.ts";

const log = jobdLogger("jobctl");

/** Where jobctl's output goes and what it may use; the entry point passes the real ones. */
export interface JobctlEnvironment {
  /** Writes to stdout. */
  stdout(text: string): void;
  /** Writes to stderr. */
  stderr(text: string): void;
  /** Whether stdout may carry colours (a terminal, and NO_COLOR unset). */
  color: boolean;
  /** Home directory for `~/.jobctl.conf`; `$HOME` when not given. */
  home?: string;
  /** Asks for the password; the terminal prompt when not given. */
  askPassword?: () => Promise<string>;
}

/** The settings of one run: command line over config file over defaults. */
export interface Settings {
  mode: Mode;
  host: string;
  port: number;
  password: string | undefined;
  logLevel: LogLevel;
  json: boolean;
  timeout: number | undefined;
}

/** Merges command-line options, config and defaults (the command line wins). */
export function resolveSettings(
  options: CommandLineOptions,
  config: JobctlConfig,
  password: string | undefined,
): Settings {
  const mode: Mode = (options.master ?? config.master ?? false) ? "master" : "worker";
  return {
    mode,
    host: options.host ?? config.host ?? DEFAULT_JOBCTL_HOST,
    port: options.port ?? config.port ??
      (mode === "master" ? DEFAULT_MASTER_PORT : DEFAULT_WORKER_PORT),
    password: password || undefined,
    logLevel: options.logLevel ?? config.logLevel ?? DEFAULT_LOG_LEVEL,
    json: options.json,
    timeout: options.timeout,
  };
}

/** Whether stdout should carry colours: a terminal, and NO_COLOR unset or empty. */
export function colorAllowed(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

const OTHER: Record<Mode, Mode> = { worker: "master", master: "worker" };

/**
 * The command `name` of `mode`. An unknown name, or one that belongs to the
 * other daemon, is a usage error that says so.
 */
export function lookUpCommand(mode: Mode, name: string): Command {
  const command = findCommand(mode, name);
  if (command !== undefined) return command;
  if (findCommand(OTHER[mode], name) !== undefined) {
    throw new UsageError(
      mode === "worker"
        ? `'${name}' is a master command: add --master`
        : `'${name}' is a worker command: leave out --master (or give --no-master)`,
    );
  }
  throw new UsageError(`unknown ${mode} command '${name}'`);
}

/** Loads the config named by `--config`, or `~/.jobctl.conf` when it exists. */
async function loadConfig(options: CommandLineOptions, env: JobctlEnvironment) {
  return await loadJobctlConfig({ path: options.configPath, home: env.home });
}

async function showHelp(
  line: Extract<CommandLine, { action: "help" }>,
  env: JobctlEnvironment,
): Promise<number> {
  if (line.command === undefined) {
    env.stdout(programHelp());
    return ExitCode.Ok;
  }
  // The config may say --master; a broken config does not stand in the way of help.
  const config = await loadConfig(line.options, env).then(({ config }) => config, () => ({}));
  const mode = resolveSettings(line.options, config, undefined).mode;
  const command = findCommand(mode, line.command) ?? findCommand(OTHER[mode], line.command);
  if (command === undefined) throw new UsageError(`unknown command '${line.command}'`);
  env.stdout(commandHelp(command));
  return ExitCode.Ok;
}

/** `the worker at 127.0.0.1:7080`. */
function daemonName(settings: Settings): string {
  return `the ${settings.mode} at ${formatAddress(settings.host, settings.port)}`;
}

/** The connection took longer than `--timeout`. */
class ConnectTimeoutError extends Error {
  constructor(seconds: number) {
    super(`no connection within ${seconds} s`);
    this.name = "ConnectTimeoutError";
  }
}

/** Connects to the daemon; with a timeout, gives up (and closes a late connection) after it. */
async function connect(settings: Settings): Promise<WorkerClient | MasterClient> {
  const options = {
    host: settings.host,
    port: settings.port,
    password: settings.password,
    timeout: settings.timeout,
  };
  const connecting = settings.mode === "master"
    ? MasterClient.connect(options)
    : WorkerClient.connect(options);
  if (settings.timeout === undefined) return await connecting;
  const seconds = settings.timeout;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectTimeoutError(seconds)), seconds * 1000);
  });
  try {
    return await Promise.race([connecting, expired]);
  } catch (error) {
    if (error instanceof ConnectTimeoutError) connecting.then((client) => client.close(), () => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function runCommand(
  line: Extract<CommandLine, { action: "run" }>,
  env: JobctlEnvironment,
): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(line.options, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    env.stderr(`jobctl: config parsing error: ${error.message}\n`);
    return ExitCode.Usage;
  }
  const mode = resolveSettings(line.options, loaded.config, undefined).mode;
  const command = lookUpCommand(mode, line.command);
  const plan = command.plan(line.args);

  const password = line.options.askPassword
    ? await (env.askPassword ?? promptPassword)()
    : loaded.config.password;
  const settings = resolveSettings(line.options, loaded.config, password);
  const style: Style = { color: env.color && !settings.json };

  await using _logging = await configureLogging({
    consoleLevel: settings.logLevel,
    secrets: [settings.password],
  });
  for (const warning of loaded.warnings) log.warn("{warning}", { warning });
  log.debug("Sending {command} to {daemon}", {
    command: command.name,
    daemon: daemonName(settings),
  });

  let client;
  try {
    client = await connect(settings);
  } catch (error) {
    if (!(error instanceof ConnectError || error instanceof ConnectTimeoutError)) throw error;
    const detail = error instanceof ConnectError ? messageOf(error.cause) : error.message;
    env.stderr(`jobctl: cannot connect to ${daemonName(settings)}: ${detail}\n`);
    return ExitCode.Unreachable;
  }
  let data: unknown;
  try {
    data = await plan.execute(client);
  } catch (error) {
    if (error instanceof RemoteError) {
      env.stderr(
        `jobctl: ${daemonName(settings)} refused '${command.name}': ${error.message}\n`,
      );
      return ExitCode.Failed;
    }
    if (error instanceof UnexpectedAnswerError) {
      env.stderr(
        `jobctl: unexpected answer from ${daemonName(settings)} to '${command.name}': ` +
          `${error.message}\n`,
      );
      return ExitCode.Failed;
    }
    if (error instanceof RequestTimeoutError || error instanceof ConnectionClosedError) {
      env.stderr(`jobctl: no answer from ${daemonName(settings)}: ${error.message}\n`);
      return ExitCode.Unreachable;
    }
    throw error;
  } finally {
    client.close();
  }

  const rendered = plan.render(data, style);
  env.stdout(settings.json ? `${JSON.stringify(data, null, 2)}\n` : rendered.text);
  if (rendered.failure !== undefined) {
    env.stderr(`jobctl: ${rendered.failure}\n`);
    return ExitCode.Failed;
  }
  return ExitCode.Ok;
}

/**
 * Runs jobctl with `args` (without the program name) and resolves with its
 * exit status. Output and messages go through `env`.
 */
export async function runJobctl(args: readonly string[], env: JobctlEnvironment): Promise<number> {
  try {
    const line = parseCommandLine(args);
    switch (line.action) {
      case "version":
        env.stdout(`jobctl ${VERSION}\n`);
        return ExitCode.Ok;
      case "help":
        return await showHelp(line, env);
      case "run":
        return await runCommand(line, env);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      env.stderr(`jobctl: ${error.message}\n${error.hint}\n`);
      return ExitCode.Usage;
    }
    if (error instanceof PromptCancelledError) {
      env.stderr(`jobctl: ${error.message}\n`);
      return ExitCode.Cancelled;
    }
    throw error;
  }
}
