/**
 * npm `ini`'s reading of a config text, mended where it differs from what
 * was written:
 * - a section is found under the name its header gives it, dots and all
 *   (ini nests `[a.b]` under `[a]`);
 * - a value in single quotes is its text as written: ini parses it as JSON,
 *   so `'1e3'` became the number 1000, `'0.10'` the text `0.1` and `'[1]'` a
 *   list;
 * - which keys were written without a value (a word on a line of its own,
 *   or nothing but `=` after it), and on which line: such a line may be a
 *   pasted secret, so messages name its line rather than its text.
 *
 * @module
 */

import { parse, unsafe } from "ini";
import { iniLines, isListKey, isValueless } from "./ini_lines.ts";
import { isPlainObject } from "../text.ts";

/** ini's reading of a text, mended, and the lines of the keys without a value. */
export interface IniReading {
  /** Global keys, and each section as an object of its keys. */
  readonly values: Record<string, unknown>;
  /**
   * For each part of the file (`undefined`: the keys before any section),
   * the keys whose last line has no value, with that line's number.
   */
  readonly valueless: ReadonlyMap<string | undefined, ReadonlyMap<string, number>>;
}

/**
 * What stands for a dot in a section name while ini reads the file: a
 * character of Unicode's private use area, which no config has a reason to
 * hold.
 */
const DOT_STAND_IN = "\uE000";

/**
 * Reads `text` as ini does, mended as the module says. Throws what ini
 * throws on odd input, and on text holding U+E000.
 */
export function readIni(text: string): IniReading {
  const values = parseSectionsAsNamed(text);
  /** The last line of each key, by part. */
  const last = new Map<string | undefined, Map<string, string | undefined>>();
  const lines = new Map<string | undefined, Map<string, number>>();
  const headers = new Set<string>();
  let section: string | undefined;
  for (const line of iniLines(text)) {
    if (line.kind === "section") {
      section = sectionName(line.name);
      headers.add(section);
      continue;
    }
    const key = String(unsafe(line.key));
    if (section === "__proto__" || key === "__proto__" || isListKey(key)) continue;
    if (!last.has(section)) last.set(section, new Map());
    if (!lines.has(section)) lines.set(section, new Map());
    last.get(section)!.set(key, line.value);
    if (isValueless(line.value)) lines.get(section)!.set(key, line.number);
    else lines.get(section)!.delete(key);
  }
  for (const [part, keys] of last) {
    const object = part === undefined
      ? values
      : Object.hasOwn(values, part)
      ? values[part]
      : undefined;
    if (!isPlainObject(object)) continue;
    for (const [key, value] of keys) {
      const quoted = value !== undefined && value.length >= 2 && value.startsWith("'") &&
        value.endsWith("'");
      if (!quoted || !Object.hasOwn(object, key)) continue;
      if (part === undefined && headers.has(key)) continue; // a section of that name
      object[key] = value.slice(1, -1);
    }
  }
  return { values, valueless: lines };
}

/** A section's name as {@linkcode readIni} gives it, from its header's text. */
function sectionName(header: string): string {
  const hidden = header.includes(".") ? header.replaceAll(".", DOT_STAND_IN) : header;
  return restoreDots(String(unsafe(hidden)));
}

/** A section name with its dots back (an escaped dot, `\.`, is a dot in ini's names too). */
function restoreDots(name: string): string {
  return name.replaceAll(`\\${DOT_STAND_IN}`, ".").replaceAll(DOT_STAND_IN, ".");
}

/**
 * ini's reading of `text`, each section under the name its header gives it.
 * ini reads `[a.b]` as a section `b` nested in a section `a` (quoted or
 * not), so `[target:mail.send]`, for a target named with a dot, would not be
 * found under its name, and `[launcher.env]` would replace the key
 * `launcher`. The dots of section names are hidden from ini while it reads,
 * and put back after, in file order.
 */
function parseSectionsAsNamed(text: string): Record<string, unknown> {
  if (text.includes(DOT_STAND_IN)) {
    throw new Error("it holds the character U+E000 (of Unicode's private use area)");
  }
  const lines = text.split(/\r\n|\r|\n/);
  let hidden = false;
  for (const line of iniLines(text)) {
    if (line.kind !== "section" || !line.name.includes(".")) continue;
    lines[line.number - 1] = line.text.replaceAll(".", DOT_STAND_IN);
    hidden = true;
  }
  if (!hidden) return parse(text);
  const values = parse(lines.join("\n"));
  const named: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(values)) named[restoreDots(key)] = value;
  return named;
}
