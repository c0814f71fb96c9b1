/** Small text helpers for messages, shared by the protocol, the daemons and jobctl. */

/** A short name of a JSON value's type for error texts: `null`, `array`, `string`, ... */
export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/** Joins names as `'a', 'b'` for messages. */
export function quoteList(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(", ");
}
