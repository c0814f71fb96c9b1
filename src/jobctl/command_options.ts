/**
 * The options of jobctl's commands themselves (`jobs --target T`, `add
 * --at TIME`), read by the command line with the program's options (anywhere
 * on the line, up to `--`). A command names those it takes; any other is a
 * usage error.
 *
 * @module
 */

/** Every command option, in node's parseArgs form. */
export const COMMAND_OPTIONS = {
  target: { type: "string" },
  status: { type: "string" },
  result: { type: "string" },
  limit: { type: "string" },
  at: { type: "string" },
  in: { type: "string" },
  set: { type: "string", multiple: true },
  count: { type: "string" },
} as const;

/** A command option's name. */
export type CommandOptionName = keyof typeof COMMAND_OPTIONS;

/** The command options given, as text (`set` may repeat). */
export type CommandOptions = {
  [K in CommandOptionName]?: typeof COMMAND_OPTIONS[K] extends { multiple: true } ? string[]
    : string;
};
