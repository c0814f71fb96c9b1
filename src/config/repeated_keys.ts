/**
 * Keys given more than once in a part of an ini file. npm `ini` keeps the
 * last value silently (`port = 27082`, later `port = 27083`: 27083 is used),
 * also when a section's header is given twice (its keys are merged). The
 * parsed document cannot tell, so this reads the lines as ini does.
 *
 * @module
 */

import { unsafe } from "ini";
import { iniLines, isListKey, isValueless } from "./ini_lines.ts";

/** A key that ini read from more than one line of the same part of the file. */
export interface RepeatedKey {
  /** The section it is in, as ini names it; undefined before any section. */
  section: string | undefined;
  /** The key as ini names it. */
  key: string;
  /** The lines that give it, from 1, in order: ini uses the last one's value. */
  lines: number[];
  /** Set when the last line has no value (a word on its own): its text is not shown. */
  valueless?: true;
}

/**
 * Every key of `text` given more than once in one part (the keys before any
 * section, or one section, however many headers it has), in the order of
 * their first line. `key[] = v` lines, which make a list, are not repeats.
 */
export function repeatedKeys(text: string): RepeatedKey[] {
  const parts = new Map<string | undefined, Map<string, number[]>>();
  const valueless = new Set<string>();
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
    const id = JSON.stringify([section ?? null, key]);
    if (isValueless(line.value)) valueless.add(id);
    else valueless.delete(id);
  }
  const repeated: RepeatedKey[] = [];
  for (const [part, keys] of parts) {
    for (const [key, lines] of keys) {
      if (lines.length < 2) continue;
      const found: RepeatedKey = { section: part, key, lines };
      if (valueless.has(JSON.stringify([part ?? null, key]))) found.valueless = true;
      repeated.push(found);
    }
  }
  return repeated.sort((a, b) => a.lines[0] - b.lines[0]);
}

/**
 * The warning about one repeated key, without the file: `'port' is given
 * twice (lines 3 and 7): the value of line 7 is used`. No value is shown
 * (the key may be a password), nor a key written without a value, which
 * may be a pasted secret: `lines 3 and 7 give the same word without a
 * value (not shown: it may be a secret)`.
 */
export function describeRepeatedKey(repeated: RepeatedKey): string {
  const { section, key, lines } = repeated;
  const where = section === undefined ? "" : ` in [${section}]`;
  const times = lines.length === 2 ? "twice" : `${lines.length} times`;
  const listed = `${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`;
  if (repeated.valueless) {
    return `lines ${listed}${where} give the same word without a value ` +
      "(not shown: it may be a secret)";
  }
  return `'${key}'${where} is given ${times} (lines ${listed}): ` +
    `the value of line ${lines.at(-1)} is used`;
}
