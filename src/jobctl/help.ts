/**
 * jobctl's help texts, built from the command table and the defaults, so
 * they cannot drift from what jobctl does.
 *
 * @module
 */

import {
  DEFAULT_JOBCTL_HOST,
  DEFAULT_JOBCTL_TIMEOUT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MASTER_PORT,
  DEFAULT_WORKER_PORT,
  JOBCTL_CONFIG_FILE_NAME,
} from "../config/defaults.ts";
import { LOG_LEVELS } from "../log_levels.ts";
import { MAX_TIMER_SECONDS } from "../config/timer_limit.ts";
import type { Command } from "./command.ts";
import { MASTER_COMMANDS, WORKER_COMMANDS } from "./commands.ts";

/** Exit statuses of jobctl. */
export const ExitCode = {
  /** The command succeeded. */
  Ok: 0,
  /**
   * The daemon answered with an error (or with data the command cannot read), a job did not end
   * `ok`, a signal was not delivered, `retry` refused some jobs, some workers did not answer
   * the master's `schedules`, or stdout could not be written.
   */
  Failed: 1,
  /** The command line (an option given twice with different values too) or the config file is wrong. */
  Usage: 2,
  /** The daemon cannot be reached, closed the connection or did not answer in time. */
  Unreachable: 3,
  /** Ctrl-C at the password prompt. */
  Cancelled: 130,
} as const;

/** Help lines are at most this long. */
const HELP_WIDTH = 100;

/**
 * `words` joined by spaces in lines of at most `width` characters; each line
 * after the first starts with `indent`.
 */
function wrap(words: readonly string[], width = HELP_WIDTH, indent = ""): string {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/** The words of `text`. */
function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** The commands that take options of their own, each with them: `jobs  --target T, ...`. */
function commandOptionList(): string {
  const usages = new Map<string, string[]>();
  for (const command of [...WORKER_COMMANDS, ...MASTER_COMMANDS]) {
    if (command.options === undefined || usages.has(command.name)) continue;
    usages.set(command.name, command.options.map((option) => option.usage));
  }
  const width = Math.max(...[...usages.keys()].map((name) => name.length));
  return [...usages].map(([name, options]) => `  ${name.padEnd(width)}  ${options.join(", ")}`)
    .join("\n");
}

function commandList(commands: readonly Command[], prefix: string): string {
  const heads = commands.map((command) => `${prefix}${command.name} ${command.args}`.trimEnd());
  const width = Math.max(...heads.map((head) => head.length));
  return commands.map((command, index) => `  ${heads[index].padEnd(width)}  ${command.summary}`)
    .join("\n");
}

/** `jobctl --help`. */
export function programHelp(): string {
  return `jobctl: control a jobd worker or, with --master, a jobd-master.

Usage: jobctl [OPTIONS] COMMAND [ARGS...] [COMMAND OPTIONS]
       jobctl COMMAND --help   (or: jobctl help COMMAND)

Worker commands:
${commandList(WORKER_COMMANDS, "")}

Master commands (with --master):
${commandList(MASTER_COMMANDS, "")}

Command options (anywhere on the line too, each once but --set; see 'jobctl COMMAND --help'):
${commandOptionList()}

Options (anywhere on the line, each once; a lone -- ends them):
  --master             talk to jobd-master (--no-master: to a worker, whatever the config says)
  --host HOST[:PORT]   daemon address (default ${DEFAULT_JOBCTL_HOST}), optionally with its port
  -p, --port PORT      daemon port (default ${DEFAULT_WORKER_PORT}, or ${DEFAULT_MASTER_PORT} with --master)
  -c, --config PATH    config file (default ~/${JOBCTL_CONFIG_FILE_NAME}; read when it exists)
  --password           ask for the password (no echo); otherwise the config's password is sent
  --log-level LEVEL    ${LOG_LEVELS.join("|")} (default ${DEFAULT_LOG_LEVEL}); logs go to stderr
  --json               print the response data as JSON; errors as {"error": ...} on stderr
  --timeout SECONDS    give up connecting or on an answer after this long (default ${DEFAULT_JOBCTL_TIMEOUT},
                       at most ${MAX_TIMER_SECONDS}; 0 = wait for ever; run-manual waits for its jobs
                       unless given)
  -h, --help           show this help, or a command's help after the command
  -V, --version        print the version

Config file (ini; the command line wins):
  master = true        host = 10.0.0.5        port = 7081
  password = secret    log_level = warn

Exit status:
    ${ExitCode.Ok}  success
    ${ExitCode.Failed}  the daemon refused the request, a job did not end 'ok', a signal was not
       delivered, 'retry' refused some jobs, some workers did not answer 'schedules', or
       stdout could not be written
    ${ExitCode.Usage}  usage error: unknown command or option, bad argument, an option given twice
       with different values, bad config file
    ${ExitCode.Unreachable}  cannot connect to the daemon, or it closed the connection or did not answer
  ${ExitCode.Cancelled}  Ctrl-C at the password prompt, or (by the signal) while waiting; what was sent
       still happens: a run-manual job runs to its end, 'add' inserts its rows
`;
}

/** `jobctl COMMAND --help`. */
export function commandHelp(command: Command): string {
  const master = command.mode === "master" ? "--master " : "";
  const lines = [
    wrap(
      [
        ...words(`Usage: jobctl ${master}[OPTIONS] ${command.name} ${command.args}`),
        ...(command.options ?? []).map((option) => `[${option.usage}]`),
      ],
      HELP_WIDTH,
      " ".repeat("Usage: ".length),
    ),
    "",
    `${command.summary}.`,
  ];
  if (command.details) lines.push(wrap(words(command.details)));
  if (command.options !== undefined && command.options.length > 0) {
    const width = Math.max(...command.options.map((option) => option.usage.length));
    lines.push("", "Options of this command:");
    for (const option of command.options) {
      lines.push(`  ${option.usage.padEnd(width)}  ${option.help}`);
    }
  }
  lines.push(
    "",
    "Example:",
    `  ${command.example}`,
    "",
    "Options: see 'jobctl --help'.",
  );
  return lines.join("\n") + "\n";
}
