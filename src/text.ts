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

/** Joins names as `'a', 'b'` for messages. */
export function quoteList(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(", ");
}

/** `job 5`, `jobs 5, 6, 7`, or the first ten ids and a count for long lists. */
export function describeJobs(ids: readonly number[]): string {
  if (ids.length === 1) return `job ${ids[0]}`;
  if (ids.length <= 10) return `jobs ${ids.join(", ")}`;
  return `jobs ${ids.slice(0, 10).join(", ")}... (${ids.length} jobs)`;
}

/**
 * Control characters (C0, DEL, C1) but the line feed and the tab, which print
 * as themselves, and a carriage return right before a line feed (CRLF line
 * ends: harmless on a terminal).
 */
const CONTROL = /(?![\n\t]|\r\n)\p{Cc}/gu;

/** Control characters (C0, DEL, C1) but the tab: text that must stay on one line. */
const CONTROL_ONE_LINE = /(?!\t)\p{Cc}/gu;

/**
 * `text` with its control characters shown escaped (`\x1b`, `\x0d`...) rather
 * than acted on by a terminal; tabs stay, and line feeds (with a carriage
 * return right before one) too unless `oneLine` (a line of a line-based
 * answer such as `/health`). For any text a peer, a
 * job or a table row supplied, before it reaches human output.
 */
export function escapeControls(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(
    options.oneLine ? CONTROL_ONE_LINE : CONTROL,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
