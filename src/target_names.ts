/**
 * Which target names can match a row. A name enters at the config's
 * `[targets]` and at `add-target`; one no row can carry (too long for the
 * `target` column, characters its character set cannot hold, a value its
 * ENUM lacks) would never claim a job, and on MySQL one with characters the
 * column cannot compare makes the whole claim fail. Nor has a name
 * characters that are not shown but change how the text around them reads
 * (bidirectional overrides, zero-width characters): the name would read
 * as another in a list or a log line. Such names are refused where they
 * enter, with the reason.
 */

import { escapeControls } from "./text.ts";

/** What the table's `target` column can hold, read when the store opens. */
export interface TargetColumn {
  /** Longest value in characters, when the column has a limit (`char(16)`: 16). */
  readonly maxLength?: number;
  /**
   * The column's character set stores only the Basic Multilingual Plane
   * (MySQL's 3-byte `utf8`/`utf8mb3`): no emoji.
   */
  readonly bmpOnly: boolean;
  /** The values of an ENUM column. */
  readonly values?: readonly string[];
  /** The column's type as the database shows it (`char(16)`), for messages. */
  readonly type: string;
  /** The column's character set, when it has one, for messages. */
  readonly charset?: string;
}

/**
 * Longest target name in characters whatever the column (an SQLite column
 * has no limit of its own): names travel in every `register-worker`, status
 * and log line.
 */
export const MAX_TARGET_NAME_LENGTH = 1024;

/**
 * `'name'` for a message: whole when it may be a target name (at most
 * `MAX_TARGET_NAME_LENGTH` characters, so at most twice as many UTF-16 code
 * units), else its beginning and `…`, so that a peer's 9 MiB name does not
 * come back in an error. The reason given with it says how long it was.
 * Control and invisible characters are shown escaped (`\x0a`, `\u202e`).
 */
export function quoteTargetName(name: string): string {
  const max = 2 * MAX_TARGET_NAME_LENGTH;
  if (name.length <= max) return `'${escapeControls(name, { oneLine: true })}'`;
  const last = name.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `'${escapeControls(name.slice(0, end), { oneLine: true })}…'`;
}

/** Control characters (C0, DEL, C1): no target name has them. */
const CONTROL = /\p{Cc}/u;

/**
 * Characters not shown that change how the text around them reads: format
 * characters (`\p{Cf}`: bidirectional overrides, embeddings and isolates
 * U+202A..U+202E and U+2066..U+2069, zero-width U+200B..U+200F, U+FEFF, tag
 * characters) and the line and paragraph separators. The same set as the
 * one `escapeControls` (text.ts) shows escaped, so a target name is never
 * shown escaped.
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;

/** A UTF-16 surrogate without its pair: not a character at all, no database stores it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** A character outside the Basic Multilingual Plane (4 bytes in UTF-8). */
const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;

/** Characters (code points) of `text`, without building an array of them. */
export function characterCount(text: string): number {
  let count = text.length;
  for (let at = 0; at < text.length - 1; at++) {
    const code = text.charCodeAt(at);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        at++;
      }
    }
  }
  return count;
}

/** How a character is shown in a message: `U+0007`. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why `name` is no target name whatever the table (empty, `null`, longer
 * than `MAX_TARGET_NAME_LENGTH`, a control character, an invisible one, a
 * broken character); undefined when it is fine.
 */
export function targetNameProblem(name: string): string | undefined {
  if (name === "") return "a target name cannot be empty";
  if (name === "null") return "'null' is not a target name";
  const length = characterCount(name);
  if (length > MAX_TARGET_NAME_LENGTH) {
    return `it has ${length} characters, more than the ${MAX_TARGET_NAME_LENGTH} a target name may have`;
  }
  return nameCharacterProblem(name);
}

/**
 * Why `name` has a character no name of a target or a worker may have (a
 * control character, an invisible one, half of one), naming its code point;
 * undefined when it has none. The one rule for the names shown in lists,
 * log lines and the status page.
 */
export function nameCharacterProblem(name: string): string | undefined {
  const control = CONTROL.exec(name);
  if (control) return `it contains the control character ${codePoint(control[0])}`;
  const invisible = INVISIBLE.exec(name);
  if (invisible) {
    const what = /\p{Cf}/u.test(invisible[0])
      ? "an invisible format character (such as a bidirectional override or a zero-width " +
        "space), which changes how the text around it reads"
      : "a line or paragraph separator";
    return `it contains ${codePoint(invisible[0])}, ${what}`;
  }
  const broken = LONE_SURROGATE.exec(name);
  if (broken) return `it contains ${codePoint(broken[0])}, half of a character`;
  return undefined;
}

/**
 * Why `name` cannot match a row of a table whose `target` column is
 * `column` (`targetNameProblem` first); undefined when it can. `table` names
 * the table in the reason.
 */
export function targetColumnProblem(
  name: string,
  column: TargetColumn | undefined,
  table: string,
): string | undefined {
  const general = targetNameProblem(name);
  if (general !== undefined || column === undefined) return general;
  const where = `the column 'target' (${column.type}${
    column.charset ? `, ${column.charset}` : ""
  }) of the table '${table}'`;
  const length = characterCount(name);
  if (column.maxLength !== undefined && length > column.maxLength) {
    return `it has ${length} characters, more than the ${column.maxLength} of ${where}`;
  }
  const astral = ASTRAL.exec(name);
  if (column.bmpOnly && astral) {
    return `${where} cannot hold ${codePoint(astral[0])} '${astral[0]}' (characters beyond ` +
      "U+FFFF, such as emoji, need utf8mb4)";
  }
  const lacking = column.charset === undefined ? undefined : firstLacking(column.charset, name);
  if (lacking !== undefined) return `${where} cannot hold ${codePoint(lacking)} '${lacking}'`;
  if (column.values !== undefined) {
    const lower = name.toLowerCase();
    if (!column.values.some((value) => value.toLowerCase() === lower)) {
      return `${where} has no such value`;
    }
  }
  return undefined;
}

/**
 * The characters of MySQL's `latin1` above ASCII: it is Windows-1252, with its
 * five unassigned bytes kept as the C1 controls they are in Latin-1.
 */
const LATIN1_ABOVE_ASCII = new Set(
  "\u0081\u008D\u008F\u0090\u009D\u20AC\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030" +
    "\u0160\u2039\u0152\u017D\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122" +
    "\u0161\u203A\u0153\u017E\u0178",
);

/** Whether `latin1` holds this character (one above ASCII). */
export function isLatin1(char: string): boolean {
  return (char >= "\u00A0" && char <= "\u00FF") || LATIN1_ABOVE_ASCII.has(char);
}

/**
 * Whether a column in `charset` holds only the Basic Multilingual Plane, not
 * the characters beyond U+FFFF (emoji): 3-byte `utf8` (`utf8mb3`) and
 * `ucs2`. In strict mode the server refuses such a character ("Incorrect
 * string value"), otherwise it stores `?`.
 */
export function isBmpOnly(charset: string): boolean {
  return /^(utf8(mb3)?|ucs2)$/i.test(charset);
}

/**
 * The first character of `text` a column in `charset` cannot hold, for the
 * character sets whose repertoire is known here ({@linkcode isBmpOnly},
 * `latin1`, `ascii`); undefined when it holds them all, or for another
 * character set (the server decides).
 */
export function firstLacking(charset: string, text: string): string | undefined {
  const lower = charset.toLowerCase();
  const bmpOnly = isBmpOnly(lower);
  for (const char of text) {
    const lacks = bmpOnly
      ? char.length > 1
      : lower === "latin1"
      ? char > "\u007F" && !isLatin1(char)
      : lower === "ascii" && char > "\u007F";
    if (lacks) return char;
  }
  return undefined;
}
