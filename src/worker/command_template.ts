/**
 * The `launcher` command template (README.md, `launcher`): split once into argv with
 * shell-style quoting, then `{id}` replaced in each argument per job.
 *
 * No shell ever runs the launcher, so nothing a shell would interpret is
 * given a meaning here: `$NAME` stays literal text, and shell operators,
 * unquoted globs and comments are refused rather than silently passed on as
 * arguments or dropped.
 *
 * @module
 */

import { parse, type ParseEntry } from "shell-quote";

/** The placeholder replaced by the job id in every argument. */
export const JOB_ID_PLACEHOLDER = "{id}";

/** A launcher template that cannot be turned into argv; `part` is the offending text. */
export class CommandTemplateError extends Error {
  /** The template as given. */
  readonly template: string;
  /** The part of the template that was refused (empty when the whole template is). */
  readonly part: string;

  constructor(template: string, part: string, detail: string) {
    super(`Invalid launcher template '${template}': ${detail}`);
    this.name = "CommandTemplateError";
    this.template = template;
    this.part = part;
  }
}

const NO_SHELL = "the launcher runs without a shell; quote it to pass it as an argument";

/**
 * Splits a launcher template into argv.
 *
 * Quoting follows the shell: `'...'` keeps everything literally, `"..."`
 * keeps everything but `\"`, `\\` and `\$`, and a backslash outside quotes
 * escapes the next character. Unlike a shell, `$NAME`, `${NAME}`, `$(...)`
 * and `$'...'` are never expanded: the `$` is kept as written.
 *
 * @throws {CommandTemplateError} for an empty template or program name, an
 *   unterminated quote, a trailing backslash, an unquoted line break, a shell
 *   operator (`|`, `>`, `;`, `&&`, ...), an unquoted glob (`*`, `?`) or a
 *   comment (`#`); the message names the offending part.
 */
export function parseCommandTemplate(template: string): string[] {
  if (template.trim() === "") {
    throw new CommandTemplateError(template, "", "it is empty");
  }
  const entries = parse(keepDollarsLiteral(template));
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry === "string") {
      argv.push(entry);
    } else {
      throw refusedEntry(template, entry);
    }
  }
  if (argv.length === 0 || argv[0] === "") {
    throw new CommandTemplateError(template, "", "the program name is empty");
  }
  return argv;
}

/**
 * Replaces every `{id}` in each argument with the job id. Substitution happens
 * after splitting, so the id can never add, split or merge arguments.
 *
 * @throws {RangeError} when `jobId` is not a non-negative safe integer
 */
export function expandCommand(argv: readonly string[], jobId: number): string[] {
  if (!Number.isSafeInteger(jobId) || jobId < 0) {
    throw new RangeError(`Cannot expand the launcher command: invalid job id '${jobId}'`);
  }
  const id = String(jobId);
  return argv.map((arg) => arg.replaceAll(JOB_ID_PLACEHOLDER, id));
}

function refusedEntry(template: string, entry: Exclude<ParseEntry, string>): CommandTemplateError {
  if ("comment" in entry) {
    const part = `#${entry.comment}`;
    return new CommandTemplateError(
      template,
      part,
      `comment '${part}' is not supported: ${NO_SHELL}`,
    );
  }
  if (entry.op === "glob") {
    const part = entry.pattern;
    return new CommandTemplateError(
      template,
      part,
      `glob pattern '${part}' is not expanded: ${NO_SHELL}`,
    );
  }
  return new CommandTemplateError(
    template,
    entry.op,
    `shell operator '${entry.op}' is not supported: ${NO_SHELL}`,
  );
}

/**
 * Rewrites the template so that shell-quote reads every `$` as a literal
 * character, and checks what shell-quote would silently accept.
 *
 * shell-quote expands `$NAME` (losing the braces of `${NAME}`), drops an
 * unterminated quote or a trailing backslash without a word, and reports an
 * escaped `*`, `?` or `#` as a glob or comment. So, outside quotes, `$` and
 * every backslash-escaped character become single-quoted text, and inside
 * double quotes `$` becomes `\$`; single-quoted text is copied unchanged.
 */
function keepDollarsLiteral(template: string): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "'") {
      const end = template.indexOf("'", i + 1);
      if (end < 0) {
        throw unterminated(template, "single quote", i);
      }
      out += template.slice(i, end + 1);
      i = end + 1;
    } else if (c === '"') {
      const start = i;
      out += c;
      i += 1;
      for (;;) {
        if (i >= template.length) {
          throw unterminated(template, "double quote", start);
        }
        const d = template[i];
        if (d === "\\" && i + 1 < template.length) {
          out += d + template[i + 1];
          i += 2;
          continue;
        }
        i += 1;
        if (d === '"') {
          out += d;
          break;
        }
        out += d === "$" ? "\\$" : d;
      }
    } else if (c === "\\") {
      if (i + 1 >= template.length) {
        throw new CommandTemplateError(template, "\\", "it ends with a lone backslash");
      }
      const escaped = template[i + 1];
      out += escaped === "'" ? `"'"` : `'${escaped}'`;
      i += 2;
    } else if (c === "$") {
      out += "'$'";
      i += 1;
    } else if (c === "\n" || c === "\r") {
      throw new CommandTemplateError(
        template,
        c,
        `line break at position ${i} would separate commands in a shell: ${NO_SHELL}`,
      );
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function unterminated(template: string, kind: string, position: number): CommandTemplateError {
  return new CommandTemplateError(
    template,
    template.slice(position),
    `unterminated ${kind} at position ${position}`,
  );
}
