/**
 * jobctl's command line: options (anywhere on the line, up to `--`), then the
 * command and its arguments. Only the syntax is checked here; the command's
 * arguments are read by the command itself.
 *
 * @module
 */

import { afterDoubleDash } from "../daemon_args.ts";
import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "../log_levels.ts";
import { messageOf } from "../text.ts";
import { aboutDays, MAX_TIMER_SECONDS } from "../config/timer_limit.ts";
import { COMMAND_OPTIONS, type CommandOptions } from "./command_options.ts";
import { commandOptionsOf } from "./commands.ts";
import { readCount, readDuration, readLimit, readTime } from "./control_operands.ts";
import { suggestion } from "./did_you_mean.ts";
import { UsageError } from "./usage_error.ts";

/** Options given on the command line; absent ones fall back to the config file, then defaults. */
export interface CommandLineOptions {
  /** `--master` (true) or `--no-master` (false). */
  master?: boolean;
  host?: string;
  port?: number;
  /** `--config PATH`. */
  configPath?: string;
  /** `--password`: ask for the password. */
  askPassword: boolean;
  logLevel?: LogLevel;
  /** `--json`: print the response data as JSON. */
  json: boolean;
  /** `--timeout SECONDS` for the connection and each request; 0 = wait for ever. */
  timeout?: number;
}

/** What the command line asks jobctl to do. */
export type CommandLine =
  | { action: "help"; command?: string; options: CommandLineOptions }
  | { action: "version" }
  | {
    action: "run";
    command: string;
    args: string[];
    options: CommandLineOptions;
    /** The options of the command itself (`--target`, `--limit`...), as given. */
    commandOptions: CommandOptions;
  };

const OPTIONS = {
  master: { type: "boolean" },
  host: { type: "string" },
  port: { type: "string", short: "p" },
  config: { type: "string", short: "c" },
  password: { type: "boolean" },
  "log-level": { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  ...COMMAND_OPTIONS,
} as const;

/** The program's long options, as typed: `--host`, `--no-master`... (for "did you mean"). */
const PROGRAM_OPTION_NAMES = [
  ...Object.keys(OPTIONS).filter((name) => !(name in COMMAND_OPTIONS)).map((name) => `--${name}`),
  "--no-master",
];

/** Every command option, as typed: `--target`, `--at`... */
const COMMAND_OPTION_NAMES = Object.keys(COMMAND_OPTIONS).map((name) => `--${name}`);

/** Lower-cases the first letter of node's parseArgs messages, to read after `jobctl: `. */
function sentenceTail(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function readPort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`invalid --port '${text}': expected an integer from 1 to 65535`);
  }
  return port;
}

function readTimeout(text: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds >= 0 && Number.isFinite(seconds))) {
    throw new UsageError(
      `invalid --timeout '${text}': expected a number of seconds (0 = wait for ever)`,
    );
  }
  if (seconds > MAX_TIMER_SECONDS) {
    // A longer timer would fire at once.
    throw new UsageError(
      `invalid --timeout '${text}': at most ${MAX_TIMER_SECONDS} seconds ` +
        `(${aboutDays(MAX_TIMER_SECONDS)}, the longest a timer waits; 0 = wait for ever)`,
    );
  }
  return seconds;
}

function readLogLevel(text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new UsageError(`invalid --log-level '${text}': expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return text as LogLevel;
}

/**
 * Reads `--host`: a name or address, optionally with its port (`host:7081`,
 * `[::1]:7081`); a bare IPv6 address (`::1`) has no port.
 */
export function readHost(text: string): { host: string; port?: number } {
  if (text.trim() === "") {
    throw new UsageError("invalid --host '': expected a host name or address");
  }
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(text);
  if (bracketed) {
    return bracketed[2] === undefined
      ? { host: bracketed[1] }
      : { host: bracketed[1], port: readHostPort(text, bracketed[2]) };
  }
  const parts = text.split(":");
  if (parts.length === 2) {
    if (parts[0] === "") throw new UsageError(`invalid --host '${text}': the host is missing`);
    return { host: parts[0], port: readHostPort(text, parts[1]) };
  }
  return { host: text };
}

function readHostPort(host: string, text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `invalid --host '${host}': the port after the colon must be an integer from 1 to 65535`,
    );
  }
  return port;
}

/**
 * The first positional argument that names a command, read leniently (an
 * unknown option is taken for a flag, so its value may come first).
 */
function commandOnLine(args: readonly string[]): string | undefined {
  const { positionals } = parseArgs({
    args: [...args],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
  });
  return positionals.find((word) => commandOptionsOf(word) !== undefined);
}

/**
 * The usage error for an unknown option, with the closest option the line's
 * command takes: the program's own and that command's (every command's when
 * the line names none).
 */
function unknownOptionError(option: string, args: readonly string[]): UsageError {
  const command = commandOnLine(args);
  const own = command === undefined ? COMMAND_OPTION_NAMES : commandOptionsOf(command)!.map(
    (name) => `--${name}`,
  );
  return new UsageError(
    `unknown option '${option}'${suggestion(option, [...PROGRAM_OPTION_NAMES, ...own])}`,
    // The command's help lists its own options (and points to the program's).
    { command: own.length > 0 ? command : undefined },
  );
}

/**
 * The command on the line whose help explains option `name`: a command's own
 * option taken by the line's command; undefined for the program's options.
 */
function commandOfOption(name: string, args: readonly string[]): string | undefined {
  if (!(name in COMMAND_OPTIONS)) return undefined;
  const command = commandOnLine(args);
  return command !== undefined && commandOptionsOf(command)?.includes(name) ? command : undefined;
}

/**
 * The readers of option values, each refusing a bad value with a usage error
 * (the refusal of a command's option is pointed to its command's help here).
 */
const VALUE_READERS: Partial<Record<keyof typeof OPTIONS, (text: string) => unknown>> = {
  port: readPort,
  timeout: readTimeout,
  "log-level": readLogLevel,
  host: readHost,
  in: (text) => readDuration("add", text),
  at: (text) => readTime("add", text),
  limit: (text) => readLimit("jobs", text),
  count: (text) => readCount("add", text),
};

/**
 * The usage error for an option followed by a word that starts with a dash
 * (`--timeout -1`, `--target --json`), which node's parseArgs calls
 * "ambiguous": the option's own complaint about the value when it has one,
 * else a note that the value is missing.
 */
function dashValueError(error: unknown, args: readonly string[]): UsageError | undefined {
  if ((error as { code?: unknown }).code !== "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return undefined;
  }
  const given = /^Option '([^']+)' argument is ambiguous/.exec(messageOf(error))?.[1];
  if (given === undefined) return undefined;
  const name = given.startsWith("--") ? given.slice(2) : Object.entries(OPTIONS).find(
    ([, option]) => "short" in option && `-${option.short}` === given,
  )?.[0];
  if (name === undefined || !(name in OPTIONS)) return undefined;
  const value = dashValue(args, given) ?? "";
  const command = commandOfOption(name, args);
  const reader = VALUE_READERS[name as keyof typeof OPTIONS];
  if (reader !== undefined && !value.startsWith("--")) {
    try {
      reader(value);
    } catch (refusal) {
      if (refusal instanceof UsageError) return new UsageError(refusal.message, { command });
      throw refusal;
    }
  }
  return new UsageError(
    `--${name} needs a value, got '${value}': to give a value that starts with '-', ` +
      `write --${name}=${value}`,
    { command },
  );
}

/**
 * Any other refusal of node's parseArgs (`--count` at the end of the line,
 * `--json=yes`), pointing to the help of the command whose option it is.
 */
function parseArgsError(error: unknown, args: readonly string[]): UsageError {
  const option = /^Option '--([a-z-]+)/.exec(messageOf(error))?.[1];
  const command = option === undefined ? undefined : commandOfOption(option, args);
  return new UsageError(sentenceTail(messageOf(error)), { command });
}

/**
 * The value that makes `option` (as written, `--timeout` or `-t`) ambiguous:
 * that of its first occurrence followed by a word that starts with a dash,
 * not merely of its first occurrence (`--timeout 5 --timeout -1`: `-1`).
 */
function dashValue(args: readonly string[], option: string): string | undefined {
  const { tokens } = parseArgs({
    args: [...args],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== "option" || token.rawName !== option || token.inlineValue) continue;
    if (token.value !== undefined && token.value.length > 1 && token.value.startsWith("-")) {
      return token.value;
    }
  }
  return undefined;
}

/**
 * The usage error for a negative number among the arguments (`show -5`,
 * `send-signal 12 -9`), which node's parseArgs takes for an unknown option
 * (`-5`, or `-1` of `-12`); undefined when the unknown option is no such number.
 */
function negativeNumberError(option: string, args: readonly string[]): UsageError | undefined {
  if (!/^-\d$/.test(option)) return undefined;
  const end = args.indexOf("--");
  const word = (end === -1 ? args : args.slice(0, end)).find((arg) =>
    arg.startsWith(option) && /^-\d+(\.\d*)?$/.test(arg)
  );
  if (word === undefined) return undefined;
  return new UsageError(
    `invalid argument '${word}': expected a positive number (ids, counts and signal numbers ` +
      "are written without '-')",
    { command: commandOnLine(args) },
  );
}

/**
 * Refuses a value option given twice with different values (`--limit 5
 * --limit 10`, `-p 1 --port 2`), which would otherwise keep the last one
 * silently, and `--master` with `--no-master`. `--set` may repeat.
 */
function refuseRepeatedOptions(
  tokens: readonly { kind: string; name?: string; rawName?: string; value?: string }[],
  args: readonly string[],
): void {
  const values = new Map<string, string[]>();
  const masterForms = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    if (token.name === "master" || token.name === "no-master") masterForms.add(token.rawName!);
    if (token.value === undefined || token.name === "set") continue;
    const given = values.get(token.name) ?? [];
    if (!given.includes(token.value)) values.set(token.name, [...given, token.value]);
  }
  if (masterForms.size > 1) {
    throw new UsageError("--master and --no-master contradict each other: give one of them");
  }
  for (const [name, given] of values) {
    if (given.length < 2) continue;
    const quoted = given.map((value) => `'${value}'`);
    throw new UsageError(
      `--${name} is given ${given.length === 2 ? "twice" : `${given.length} times`}, with ` +
        `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}: give it once`,
      { command: commandOfOption(name, args) },
    );
  }
}

/** The unknown option node's parseArgs names in its message, if any. */
function unknownOption(error: unknown): string | undefined {
  if ((error as { code?: unknown }).code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") return undefined;
  return /Unknown option '([^']+)'/.exec(messageOf(error))?.[1];
}

/**
 * Reads jobctl's arguments (without the program name). With no arguments at
 * all it asks for the help, as the older jobctl did.
 *
 * @throws {UsageError} for an unknown option, a missing or invalid option
 *   value, or a missing command.
 */
export function parseCommandLine(args: readonly string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
      tokens: true,
    });
  } catch (error) {
    const option = unknownOption(error);
    if (option !== undefined) {
      throw negativeNumberError(option, args) ?? unknownOptionError(option, args);
    }
    const dashValue = dashValueError(error, args);
    if (dashValue !== undefined) throw dashValue;
    throw parseArgsError(error, args);
  }
  const { values, positionals, tokens } = parsed;
  if (values.version) return { action: "version" };
  refuseRepeatedOptions(tokens, args);
  const host = values.host === undefined ? undefined : readHost(values.host);
  const port = values.port === undefined ? undefined : readPort(values.port);
  if (host?.port !== undefined && port !== undefined && host.port !== port) {
    throw new UsageError(
      `--host '${values.host}' and --port ${port} name different ports: give one of them`,
    );
  }
  const options: CommandLineOptions = {
    master: values.master,
    host: host?.host,
    port: port ?? host?.port,
    configPath: values.config,
    askPassword: values.password ?? false,
    logLevel: values["log-level"] === undefined ? undefined : readLogLevel(values["log-level"]),
    json: values.json ?? false,
    timeout: values.timeout === undefined ? undefined : readTimeout(values.timeout),
  };
  const [command, ...rest] = positionals;
  if (values.help || args.length === 0) return { action: "help", command, options };
  // `jobctl help [COMMAND]`, as git and others have it: the same as `--help`.
  if (command === "help") {
    if (rest.length > 1) {
      throw new UsageError(`'help' takes at most one command name, got ${rest.length}`);
    }
    return { action: "help", command: rest[0], options };
  }
  if (command === undefined) throw new UsageError("missing command");
  if (command.startsWith("-") && args.includes("--")) {
    throw new UsageError(`unknown command '${command}'${afterDoubleDash(args)}`);
  }
  const given = Object.entries(values).filter(([name, value]) =>
    name in COMMAND_OPTIONS && value !== undefined
  );
  const commandOptions = Object.fromEntries(given) as CommandOptions;
  return { action: "run", command, args: rest, options, commandOptions };
}
