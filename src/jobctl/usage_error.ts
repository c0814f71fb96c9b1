/**
 * A command line jobctl cannot act on: an unknown option or command, a
 * missing or malformed argument. jobctl prints the message with a pointer to
 * the help that explains it and exits with status 2.
 */
export class UsageError extends Error {
  /** The command whose help explains the mistake; the program's help when absent. */
  readonly command: string | undefined;

  constructor(message: string, options: { command?: string } = {}) {
    super(message);
    this.name = "UsageError";
    this.command = options.command;
  }

  /** Where to read more: `jobctl --help` or `jobctl COMMAND --help`. */
  get hint(): string {
    return this.command === undefined
      ? "Try 'jobctl --help'"
      : `Try 'jobctl ${this.command} --help'`;
  }
}
