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
