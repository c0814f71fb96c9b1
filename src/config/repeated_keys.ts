/**
 * Keys given more than once in a part of an ini file. npm `ini` keeps the
 * last value silently (`port = 27082`, later `port = 27083`: 27083 is used),
 * also when a section's header is given twice (its keys are merged). The
 * parsed document cannot tell, so this reads the lines as ini does.
 *
 * @module
 */

import { unsafe } from "ini";
import { iniLines } from "./ini_lines.ts";

/** A key that ini read from more than one line of the same part of the file. */
export interface RepeatedKey {
  /** The section it is in, as ini names it; undefined before any section. */
  section: string | undefined;
  /** The key as ini names it. */
  key: string;
  /** The lines that give it, from 1, in order: ini uses the last one's value. */
  lines: number[];
}

/**
 * Every key of `text` given more than once in one part (the keys before any
 * section, or one section, however many headers it has), in the order of
 * their first line. `key[] = v` lines, which make a list, are not repeats.
 */
export function repeatedKeys(text: string): RepeatedKey[] {
  const parts = new Map<string | undefined, Map<string, number[]>>();
  let section: string | undefined;
  for (const line of iniLines(text)) {
    if (line.kind === "section") {
      section = String(unsafe(line.name));
      continue;
    }
    // ini reads a key as it reads a value: unquoted, cut at a comment, unescaped.
    const key = String(unsafe(line.key));
    if (section === "__proto__" || key === "__proto__" || isListKey(key)) continue;
    let keys = parts.get(section);
    if (keys === undefined) parts.set(section, keys = new Map());
    const lines = keys.get(key);
    if (lines === undefined) keys.set(key, [line.number]);
    else lines.push(line.number);
  }
  const repeated: RepeatedKey[] = [];
  for (const [part, keys] of parts) {
    for (const [key, lines] of keys) {
      if (lines.length > 1) repeated.push({ section: part, key, lines });
    }
  }
  return repeated.sort((a, b) => a.lines[0] - b.lines[0]);
}

/** `key[]`: a line that adds to a list (ini's bracketed arrays). */
function isListKey(key: string): boolean {
  return key.length > 2 && key.endsWith("[]");
}

/**
 * The warning about one repeated key, without the file: `'port' is given
 * twice (lines 3 and 7): the value of line 7 is used`. No value is shown
 * (the key may be a password).
 */
export function describeRepeatedKey(repeated: RepeatedKey): string {
  const { section, key, lines } = repeated;
  const where = section === undefined ? "" : ` in [${section}]`;
  const times = lines.length === 2 ? "twice" : `${lines.length} times`;
  const listed = `${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`;
  return `'${key}'${where} is given ${times} (lines ${listed}): ` +
    `the value of line ${lines.at(-1)} is used`;
}
