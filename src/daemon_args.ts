import { parseArgs } from "node:util";
import { VERSION } from "./version.ts";
import { messageOf } from "./text.ts";

/** What a daemon's command line asks for. */
export type DaemonCommand =
  | { action: "run"; configPath: string }
  | { action: "check"; configPath: string }
  | { action: "exit"; code: number; text: string; stream: "stdout" | "stderr" };

/**
 * Reads a daemon's command line: `--config PATH`, `--check-config` (`-t`),
 * `--help`, `--version`.
 * With no arguments at all it prints usage and exits 0, as the older daemons
 * did (README.md, "jobd (the worker)").
 */
export function parseDaemonArgs(args: string[], program: string, usage: string): DaemonCommand {
  if (args.length === 0) return { action: "exit", code: 0, text: usage, stream: "stdout" };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        "check-config": { type: "boolean", short: "t" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return {
      action: "exit",
      code: 2,
      text: `${program}: ${messageOf(error)}${afterDoubleDash(args)}\nTry '${program} --help'.`,
      stream: "stderr",
    };
  }
  if (values.help) return { action: "exit", code: 0, text: usage, stream: "stdout" };
  if (values.version) {
    return { action: "exit", code: 0, text: `${program} ${VERSION}`, stream: "stdout" };
  }
  if (!values.config) {
    return {
      action: "exit",
      code: 2,
      text: `${program}: missing --config PATH\nTry '${program} --help'.`,
      stream: "stderr",
    };
  }
  if (values["check-config"]) return { action: "check", configPath: values.config };
  return { action: "run", configPath: values.config };
}

/**
 * A hint for options after a lone `--`, which ends them: `deno task dev:worker
 * -- --config FILE` passes the `--` on.
 */
export function afterDoubleDash(args: readonly string[]): string {
  const end = args.indexOf("--");
  if (end === -1 || !args.slice(end + 1).some((arg) => arg.startsWith("-"))) return "";
  return " (a lone '--' before it ends the options; with 'deno task', give the arguments " +
    "straight after the task name)";
}

/** Prints the text of an `exit` command and exits with its code. */
export function exitWith(command: Extract<DaemonCommand, { action: "exit" }>): never {
  (command.stream === "stdout" ? console.log : console.error)(command.text);
  Deno.exit(command.code);
}
