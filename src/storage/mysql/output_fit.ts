/**
 * A job's output as its `stdout` or `stderr` column can hold it. The table is
 * the application's: an older schema's `TEXT` (64 KiB), a `VARCHAR(100)`, a
 * `latin1` column. Output the column cannot hold would be refused (strict
 * `sql_mode`: the job's whole output replaced by a note) or cut silently by the
 * server (otherwise); instead it is cut here to what fits, keeping its start,
 * and ends with a note saying so. Characters the column's character set lacks
 * become U+FFFD (3-byte `utf8`, `ucs2`: those outside the Basic Multilingual
 * Plane) or `?` (`latin1`, `ascii`: as the server would store them outside
 * strict mode).
 */

import { isBmpOnly, isLatin1 } from "../../target_names.ts";

/** The output columns. */
export type OutputColumnName = "stdout" | "stderr";

/** What one output column holds, read from `information_schema.COLUMNS` at open. */
export interface OutputColumn {
  readonly name: OutputColumnName;
  /** The column's type as the server shows it (`varchar(100)`), for the note. */
  readonly type: string;
  /** Its character set, lower case (`utf8mb4`); empty for a binary column. */
  readonly charset: string;
  /** Most characters it holds (`CHARACTER_MAXIMUM_LENGTH`). */
  readonly maxChars: number;
  /** Most bytes it holds (`CHARACTER_OCTET_LENGTH`). */
  readonly maxBytes: number;
}

/** Both output columns of a table. */
export type OutputColumns = Readonly<Record<OutputColumnName, OutputColumn>>;

/** Columns that hold whatever jobd keeps of a job's output (the tests' own contexts). */
export const ROOMY_OUTPUT: OutputColumns = {
  stdout: roomy("stdout"),
  stderr: roomy("stderr"),
};

function roomy(name: OutputColumnName): OutputColumn {
  return { name, type: "longtext", charset: "utf8mb4", maxChars: 2 ** 32, maxBytes: 2 ** 32 };
}

/** The note that ends output cut to fit its column. */
export function cutNote(column: OutputColumn): string {
  return `\n[jobd: output cut to what its column '${column.name}' (${column.type}) holds]`;
}

/** `text` as `column` can hold it: characters it lacks replaced, cut with a note when too long. */
export function fitOutput(column: OutputColumn, text: string): string {
  const charset = column.charset;
  const held = isBmpOnly(charset)
    ? replaceAstral(text)
    : charset === "latin1"
    ? text.replace(NOT_ASCII, (char) => isLatin1(char) ? char : "?")
    : charset === "ascii"
    ? text.replace(NOT_ASCII, "?")
    : text;
  // Within the limits whatever its characters: a UTF-16 code unit is at most 3 bytes of UTF-8.
  if (held.length * bytesPerUnit(column) <= column.maxBytes && held.length <= column.maxChars) {
    return held;
  }
  const size = sizeOf(column, held);
  if (size.chars <= column.maxChars && size.bytes <= column.maxBytes) return held;
  const note = cutNote(column);
  const noteSize = sizeOf(column, note);
  const room = { chars: column.maxChars - noteSize.chars, bytes: column.maxBytes - noteSize.bytes };
  // A column too small for the note gets as much of the output as it holds, without it.
  return room.chars < 0 || room.bytes < 0
    ? prefixWithin(column, held, column.maxChars, column.maxBytes)
    : prefixWithin(column, held, room.chars, room.bytes) + note;
}

/** Replaces characters outside the Basic Multilingual Plane, which 3-byte UTF-8 and UCS-2 lack, by U+FFFD. */
export function replaceAstral(text: string): string {
  return text.replace(/[\u{10000}-\u{10FFFF}]/gu, "\uFFFD");
}

/** Characters outside ASCII. */
const NOT_ASCII = /[^\p{ASCII}]/gu;

/** Most bytes one UTF-16 code unit takes in the column's character set. */
function bytesPerUnit(column: OutputColumn): number {
  if (isUtf8(column)) return 3;
  if (column.charset === "latin1" || column.charset === "ascii") return 1;
  return Math.max(1, Math.floor(column.maxBytes / column.maxChars));
}

function isUtf8(column: OutputColumn): boolean {
  return column.charset === "" || column.charset.startsWith("utf8");
}

/** Bytes of one character (code point) in the column's character set. */
function charBytes(column: OutputColumn, codePoint: number): number {
  if (isUtf8(column)) {
    return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return bytesPerUnit(column) * (codePoint > 0xFFFF ? 2 : 1);
}

/** Characters and bytes of `text` in the column. */
function sizeOf(column: OutputColumn, text: string): { chars: number; bytes: number } {
  let chars = 0;
  let bytes = 0;
  for (const char of text) {
    chars++;
    bytes += charBytes(column, char.codePointAt(0)!);
  }
  return { chars, bytes };
}

/** The longest start of `text` within `maxChars` characters and `maxBytes` bytes. */
function prefixWithin(
  column: OutputColumn,
  text: string,
  maxChars: number,
  maxBytes: number,
): string {
  let chars = 0;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const next = bytes + charBytes(column, char.codePointAt(0)!);
    if (chars + 1 > maxChars || next > maxBytes) break;
    chars++;
    bytes = next;
    end += char.length;
  }
  return text.slice(0, end);
}
