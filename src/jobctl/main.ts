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
  DEFAULT_JOBCTL_TIMEOUT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MASTER_PORT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_WORKER_PORT,
} from "../config/defaults.ts";
import { ConfigError } from "../config/ini_file.ts";
import { type JobctlConfig, loadJobctlConfig } from "../config/jobctl_config.ts";
import { formatAddress } from "../net/address.ts";
import { MasterClient, WorkerClient } from "../net/client.ts";
import { INVALID_PASSWORD } from "../net/connection.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestTimeoutError,
} from "../net/errors.ts";
import { configureLogging, jobdLogger, type LogLevel } from "../log.ts";
import { VERSION } from "../version.ts";
import { type CommandLine, type CommandLineOptions, parseCommandLine } from "./args.ts";
import type { CommandOptionName, CommandOptions } from "./command_options.ts";
import { type Command, type Mode, UnexpectedAnswerError } from "./command.ts";
import { commandsOf, findCommand } from "./commands.ts";
import { suggestion } from "./did_you_mean.ts";
import { escapeControls } from "./format.ts";
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
  /** Seconds to wait for the connection and each answer; undefined: for ever. */
  timeout: number | undefined;
  /** Whether `--timeout` was given (else the default applies, not to run-manual's answer). */
  timeoutGiven: boolean;
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
    timeout: (options.timeout ?? DEFAULT_JOBCTL_TIMEOUT) || undefined,
    timeoutGiven: options.timeout !== undefined,
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
  const names = [...commandsOf(mode), ...commandsOf(OTHER[mode])].map((command) => command.name);
  throw new UsageError(`unknown ${mode} command '${name}'${suggestion(name, names)}`);
}

/** Refuses options the command does not take (`poll --limit 5`). */
function checkCommandOptions(command: Command, given: CommandOptions): void {
  const known = new Set((command.options ?? []).map((option) => option.name));
  for (const name of Object.keys(given)) {
    if (known.has(name as CommandOptionName)) continue;
    const takes = known.size === 0
      ? "takes no options of its own"
      : `takes ${[...known].map((option) => `--${option}`).join(", ")}`;
    throw new UsageError(`'${command.name}' has no option --${name}: it ${takes}`, {
      command: command.name,
    });
  }
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
  if (command === undefined) {
    const names = [...commandsOf(mode), ...commandsOf(OTHER[mode])].map((known) => known.name);
    throw new UsageError(`unknown command '${line.command}'${suggestion(line.command, names)}`);
  }
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
    super(`no connection within ${seconds} s (--timeout)`);
    this.name = "ConnectTimeoutError";
  }
}

/**
 * A request that got no answer within `--timeout`, said so as to point at the
 * option. The default outlasts only a master with the default
 * `request_timeout` (or a shorter one), which jobctl cannot know: a master
 * configured to wait longer for its workers can still be waiting.
 */
export function noAnswerWithin(error: RequestTimeoutError, settings: Settings): string {
  const what = `no answer from ${daemonName(settings)}: request '${error.requestType}' ` +
    `got no response within ${error.seconds} s`;
  if (settings.mode === "master" && !settings.timeoutGiven) {
    return `${what} (the default --timeout; a master whose request_timeout is over ` +
      `${DEFAULT_REQUEST_TIMEOUT} s may answer later: give a longer --timeout, or 0 to wait ` +
      "for ever)";
  }
  return `${what} (--timeout; give a longer one, or 0 to wait for ever)`;
}

/** Connects to the daemon; with a timeout, gives up (and closes a late connection) after it. */
async function connect(
  settings: Settings,
  command: Command,
): Promise<WorkerClient | MasterClient> {
  const options = {
    host: settings.host,
    port: settings.port,
    password: settings.password,
    timeout: command.waitsForJobs && !settings.timeoutGiven ? undefined : settings.timeout,
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

/**
 * Writes an error to stderr: `jobctl: MESSAGE` (and the hint on a line of
 * its own) with its control characters escaped (a daemon's error may quote a
 * peer), or with `--json` one line `{"error": "MESSAGE"}`.
 */
function complain(env: JobctlEnvironment, json: boolean, message: string, hint?: string): void {
  if (json) env.stderr(`${JSON.stringify({ error: message })}\n`);
  else env.stderr(`jobctl: ${escapeControls(message)}\n${hint === undefined ? "" : `${hint}\n`}`);
}

/** Whether `--json` is among the options (before a lone `--`), however the rest reads. */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
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
    complain(env, line.options.json, `config parsing error: ${error.message}`);
    return ExitCode.Usage;
  }
  const mode = resolveSettings(line.options, loaded.config, undefined).mode;
  const command = lookUpCommand(mode, line.command);
  checkCommandOptions(command, line.commandOptions);
  const plan = command.plan(line.args, line.commandOptions);

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
    client = await connect(settings, command);
  } catch (error) {
    if (!(error instanceof ConnectError || error instanceof ConnectTimeoutError)) throw error;
    const detail = error instanceof ConnectError ? messageOf(error.cause) : error.message;
    // Nothing listens there: most often the daemon is not started, or jobctl was not told its address.
    const hint =
      error instanceof ConnectError && error.cause instanceof Deno.errors.ConnectionRefused
        ? `; is the ${settings.mode} running there? Name its address with --host HOST:PORT ` +
          "(or host and port in the config file)"
        : "";
    complain(env, settings.json, `cannot connect to ${daemonName(settings)}: ${detail}${hint}`);
    return ExitCode.Unreachable;
  }
  let data: unknown;
  try {
    data = await plan.execute(client);
  } catch (error) {
    if (error instanceof RemoteError) {
      const unsent = error.message === INVALID_PASSWORD && settings.password === undefined
        ? " (jobctl sent none: give it with --password, or as password in the config file)"
        : "";
      complain(
        env,
        settings.json,
        `${daemonName(settings)} refused '${command.name}': ${error.message}${unsent}`,
      );
      return ExitCode.Failed;
    }
    if (error instanceof UnexpectedAnswerError) {
      complain(
        env,
        settings.json,
        `unexpected answer from ${daemonName(settings)} to '${command.name}': ${error.message}`,
      );
      return ExitCode.Failed;
    }
    if (error instanceof RequestTimeoutError) {
      complain(env, settings.json, noAnswerWithin(error, settings));
      return ExitCode.Unreachable;
    }
    if (error instanceof ConnectionClosedError) {
      complain(env, settings.json, `no answer from ${daemonName(settings)}: ${error.message}`);
      return ExitCode.Unreachable;
    }
    throw error;
  } finally {
    client.close();
  }

  const rendered = plan.render(data, style);
  env.stdout(settings.json ? `${JSON.stringify(data, null, 2)}\n` : rendered.text);
  if (rendered.note !== undefined && !settings.json) complain(env, false, rendered.note);
  if (rendered.failure !== undefined) {
    complain(env, settings.json, rendered.failure);
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
      complain(env, wantsJson(args), error.message, error.hint);
      return ExitCode.Usage;
    }
    if (error instanceof PromptCancelledError) {
      complain(env, wantsJson(args), error.message);
      return ExitCode.Cancelled;
    }
    if (error instanceof OutputError) {
      complain(env, wantsJson(args), error.message);
      return ExitCode.Failed;
    }
    // A bug of ours: said without a stack trace, as one JSON line with --json too.
    complain(env, wantsJson(args), `unexpected error: ${messageOf(error)}`);
    return ExitCode.Failed;
  }
}

/** stdout cannot be written (a full disk, say); a closed pipe is no such error. */
export class OutputError extends Error {
  constructor(cause: unknown) {
    super(`cannot write the output to stdout: ${messageOf(cause)}`, { cause });
    this.name = "OutputError";
  }
}
