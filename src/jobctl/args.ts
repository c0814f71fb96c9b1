/**
 * jobctl's command line: options (anywhere on the line, up to `--`), then the
 * command and its arguments. Only the syntax is checked here; the command's
 * arguments are read by the command itself.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "../log_levels.ts";
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
  /** `--timeout SECONDS` for each request. */
  timeout?: number;
}

/** What the command line asks jobctl to do. */
export type CommandLine =
  | { action: "help"; command?: string; options: CommandLineOptions }
  | { action: "version" }
  | { action: "run"; command: string; args: string[]; options: CommandLineOptions };

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
} as const;

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
  if (!(seconds > 0)) {
    throw new UsageError(`invalid --timeout '${text}': expected a number of seconds above 0`);
  }
  return seconds;
}

function readLogLevel(text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new UsageError(`invalid --log-level '${text}': expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return text as LogLevel;
}

function readHost(text: string): string {
  if (text.trim() === "") {
    throw new UsageError("invalid --host '': expected a host name or address");
  }
  return text;
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
    });
  } catch (error) {
    throw new UsageError(sentenceTail((error as Error).message));
  }
  const { values, positionals } = parsed;
  if (values.version) return { action: "version" };
  const options: CommandLineOptions = {
    master: values.master,
    host: values.host === undefined ? undefined : readHost(values.host),
    port: values.port === undefined ? undefined : readPort(values.port),
    configPath: values.config,
    askPassword: values.password ?? false,
    logLevel: values["log-level"] === undefined ? undefined : readLogLevel(values["log-level"]),
    json: values.json ?? false,
    timeout: values.timeout === undefined ? undefined : readTimeout(values.timeout),
  };
  const [command, ...rest] = positionals;
  if (values.help || args.length === 0) return { action: "help", command, options };
  if (command === undefined) throw new UsageError("missing command");
  return { action: "run", command, args: rest, options };
}
