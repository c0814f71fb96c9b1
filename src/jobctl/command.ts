/**
 * The shape of a jobctl command: its name, arguments, help and example, how
 * it reads its arguments, which request it sends and how it shows the
 * answer. The commands themselves are listed in `commands.ts`.
 *
 * @module
 */

import type { MasterClient, WorkerClient } from "../net/client.ts";
import type { CommandOptionName, CommandOptions } from "./command_options.ts";
import { escapeControlsIn } from "./format.ts";
import type { Style } from "./table.ts";

/** Which daemon a command talks to. */
export type Mode = "worker" | "master";

/** The client type of each mode. */
export interface ClientOf {
  worker: WorkerClient;
  master: MasterClient;
}

/**
 * The daemon's answer is not the kind the command reads: most likely the
 * other daemon answered (a master where a worker was expected, or the
 * reverse). The message says what was wrong with it.
 */
export class UnexpectedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnexpectedAnswerError";
  }
}

/** What a command prints, and whether it counts as a failure (exit status 1). */
export interface Rendered {
  /** Text for stdout. */
  text: string;
  /** When set, the command failed: this one-line summary goes to stderr. */
  failure?: string;
  /** A one-line remark for stderr that is no failure (left out with `--json`). */
  note?: string;
}

/** A command whose arguments have been read: ready to send its request. */
export interface CommandPlan<C> {
  /** Sends the request(s); resolves with the response data. */
  execute(client: C): Promise<unknown>;
  /**
   * Shows response data as text (its control characters escaped), and says
   * whether it is a failure.
   */
  render(data: unknown, style: Style): Rendered;
}

/** A jobctl command, with its help. */
export interface Command<M extends Mode = Mode> {
  readonly name: string;
  readonly mode: M;
  /** Arguments as shown in help: `TARGET...`, `[TARGET...]`, `ID SIGNAL...`. */
  readonly args: string;
  /** One line for the command list. */
  readonly summary: string;
  /** More explanation for `jobctl COMMAND --help`. */
  readonly details?: string;
  /** A complete example command line. */
  readonly example: string;
  /** The command options it takes (`--target`...), with their help lines. */
  readonly options?: readonly CommandOptionHelp[];
  /**
   * Whether the answer waits for jobs to run (run-manual): jobctl's default
   * `--timeout` does not apply to the request then, only a given one.
   */
  readonly waitsForJobs?: boolean;
  /** Reads the arguments and options; throws `UsageError` naming the bad one. */
  plan(args: readonly string[], options?: CommandOptions): CommandPlan<ClientOf[M]>;
}

/** A command option as the command's help shows it. */
export interface CommandOptionHelp {
  name: CommandOptionName;
  /** `--target T`, `--set COLUMN=VALUE`. */
  usage: string;
  /** One line. */
  help: string;
}

/** What {@linkcode defineCommand} takes: a command with typed arguments and data. */
export interface CommandSpec<M extends Mode, P, D> {
  name: string;
  args: string;
  summary: string;
  details?: string;
  example: string;
  options?: readonly CommandOptionHelp[];
  waitsForJobs?: boolean;
  /** Reads the arguments (and options) into parameters; throws `UsageError`. */
  parse(args: readonly string[], name: string, options: CommandOptions): P;
  /** Sends the request. */
  execute(client: ClientOf[M], params: P): Promise<D>;
  /** Shows the response data. */
  render(data: D, params: P, style: Style): Rendered;
}

/** Builds a command of `mode` from its typed parts. */
export function defineCommand<M extends Mode, P, D>(
  mode: M,
  spec: CommandSpec<M, P, D>,
): Command<M> {
  return {
    name: spec.name,
    mode,
    args: spec.args,
    summary: spec.summary,
    details: spec.details,
    example: spec.example,
    options: spec.options,
    waitsForJobs: spec.waitsForJobs,
    plan(args, options = {}) {
      const params = spec.parse(args, spec.name, options);
      return {
        execute: (client) => spec.execute(client, params),
        // Every string of the answer comes from a peer: none may steer the terminal.
        render: (data, style) => spec.render(escapeControlsIn(data) as D, params, style),
      };
    },
  };
}
