/**
 * A leaf of small helpers for messages and the JSON values they describe,
 * shared by the protocol, the daemons, jobctl and the scripts.
 */

/** A short name of a JSON value's type for error texts: `null`, `array`, `string`, ... */
export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/** Whether `value` is a plain object (a JSON object): not `null`, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The message of an error, or the text of anything else thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Orders names as people expect, `t2` before `t10` (English collation,
 * numeric). One collator for every call: `localeCompare` with a locale or
 * options builds one per comparison, and sorted 100,000 names in 18 s.
 */
export const compareNames: (a: string, b: string) => number =
  new Intl.Collator("en", { numeric: true }).compare;

/** Most names {@linkcode quoteList} shows: a claim may name thousands of targets. */
export const QUOTED_NAMES_SHOWN = 10;

/** Joins names as `'a', 'b'` for messages; a long list as its first ten and `and N more`. */
export function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, QUOTED_NAMES_SHOWN).map((name) => `'${name}'`).join(", ");
  const more = names.length - QUOTED_NAMES_SHOWN;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/**
 * `target 'a'`, `targets 'a', 'b'`, or the first ten names and a count for
 * long lists ({@linkcode quoteList}): what a storage operation names in its
 * errors and log lines, which a worker of 10,000 long target names would
 * otherwise make megabytes long, built at every claim.
 */
export function describeTargets(names: readonly string[]): string {
  return names.length === 1 ? `target '${names[0]}'` : `targets ${quoteList(names)}`;
}

/** `job 5`, `jobs 5, 6, 7`, or the first ten ids and a count for long lists. */
export function describeJobs(ids: readonly number[]): string {
  if (ids.length === 1) return `job ${ids[0]}`;
  if (ids.length <= 10) return `jobs ${ids.join(", ")}`;
  return `jobs ${ids.slice(0, 10).join(", ")}... (${ids.length} jobs)`;
}

/*
 * Besides control characters, the patterns below take the characters that
 * are not shown but change how the text around them reads: the format
 * characters (`\p{Cf}`: bidirectional overrides, embeddings and isolates
 * such as U+202E, which show text in another order than it is stored;
 * U+200B..U+200F; U+FEFF; the tag characters) and the line and paragraph
 * separators U+2028 and U+2029, at which some terminals and viewers break
 * lines.
 */

/**
 * Control characters (C0, DEL, C1) but the line feed and the tab, which print
 * as themselves, and a carriage return right before a line feed (CRLF line
 * ends: harmless on a terminal); and the invisible characters above.
 */
const CONTROL = /(?![\n\t]|\r\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** The characters {@linkcode escapeControls} escapes, as a pattern for other code (the status page's script). */
export const CONTROL_PATTERN = CONTROL.source;

/** Control characters (C0, DEL, C1) but the tab, and the invisible ones: text that must stay on one line. */
const CONTROL_ONE_LINE = /(?!\t)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `\x1b` for a control character, `\u202e` or `\u{e0041}` for the others.
 * Self-contained: the status page's script carries its source.
 */
export function escapeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, "0")}`;
  return code <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\u{${hex}}`;
}

/**
 * `text` with its control characters shown escaped (`\x1b`, `\x0d`...) rather
 * than acted on by a terminal, and its invisible format characters too
 * (`\u202e`, `\u200b`, `\ufeff`, `\u2028`...), which could make a line read
 * other than it is; tabs stay, and line feeds (with a carriage return right
 * before one) too unless `oneLine` (a line of a line-based answer such as
 * `/health`). For any text a peer, a job or a table row supplied, before it
 * reaches human output.
 */
export function escapeControls(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(options.oneLine ? CONTROL_ONE_LINE : CONTROL, escapeCharacter);
}

/**
 * A row's value for a log line, at most 40 characters: a blob (SQLite keeps
 * whatever it is given) as hex, `x'00ff'`, not as its bytes' numbers.
 */
export function rowValueText(value: unknown): string {
  if (value instanceof Uint8Array) {
    const hex = [...value.subarray(0, 16)].map((byte) => byte.toString(16).padStart(2, "0"));
    return `x'${hex.join("")}${value.length > 16 ? "…" : ""}'`;
  }
  return String(value).slice(0, 40);
}
