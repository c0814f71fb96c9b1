/**
 * Reading ini config files: the file, the parse (npm `ini`), and typed,
 * validated key readers shared by the worker, master and jobctl loaders.
 *
 * What `ini` produces, and how we read it:
 * - keys before any `[section]` are global; `[name]` starts a section;
 * - dotted keys such as `launcher.env.FOO = x` stay literal keys of their
 *   section (only dotted *section* names nest);
 * - unquoted `true`, `false` and `null` become JSON values; the readers
 *   take a value's text back, so `password = null` is the password `null`;
 * - a value in single quotes is its text as written (`'1e3'` is the text
 *   `1e3`, refused where a number belongs); in double quotes it is a JSON
 *   string (`"a\u0041"` is `aA`);
 * - a key written without `=` reads as `true`; `key[] = v` lines make a list,
 *   which no key of ours accepts;
 * - a key written without a value (ini_lines.ts `isValueless`) that nobody
 *   reads is named by its line, never its text: it may be a pasted secret;
 * - `;` and `#` start a comment, also after a value (`\;` escapes it).
 *
 * An empty value (`log_file =`) is the same as leaving an optional key out;
 * a required key must have a valid value (only where a type allows it, as
 * for `mysql_password`, may it be empty).
 *
 * @module
 */

import { isPlainObject, messageOf } from "../text.ts";
import { joinChunks } from "../bytes.ts";
import { describeRepeatedKey, repeatedKeys } from "./repeated_keys.ts";
import { readIni } from "./ini_parse.ts";
import { showValue, type ValueType } from "./value_types.ts";

export {
  booleanType,
  DECIMAL_FORMAT,
  exponentHint,
  integerType,
  numberType,
  oneOfType,
  portType,
  stringType,
  type ValueType,
} from "./value_types.ts";

/**
 * A config file could not be read, parsed or validated. The message starts
 * with the file and names the key: `/etc/jobd.conf: 'mysql_host' is not defined`.
 */
export class ConfigError extends Error {
  /** The config file. */
  readonly file: string;
  /** The key at fault, when there is one. */
  readonly key: string | undefined;

  constructor(file: string, detail: string, options: { key?: string; cause?: unknown } = {}) {
    super(`${file}: ${detail}`, { cause: options.cause });
    this.name = "ConfigError";
    this.file = file;
    this.key = options.key;
  }
}

/** The most bytes a config file may have, 1 MiB. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Reads a config file as text (UTF-8), reading no more than `maxBytes`
 * bytes and one. A missing, unreadable or larger file is a
 * {@linkcode ConfigError} naming it (and the limit); a missing one names
 * `example`, the example file to start from, when given.
 */
export async function readConfigFile(
  path: string,
  maxBytes = MAX_CONFIG_FILE_BYTES,
  example?: string,
): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readAtMost(path, maxBytes + 1);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      const start = example === undefined ? "" : ` (start from ${example} in jobd's source)`;
      throw new ConfigError(path, `file not found${start}`, { cause: error });
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ConfigError(path, "permission denied", { cause: error });
    }
    const reason = messageOf(error);
    throw new ConfigError(path, `cannot read the file: ${reason}`, { cause: error });
  }
  if (bytes.length > maxBytes) {
    throw new ConfigError(
      path,
      `the file is larger than ${describeBytes(maxBytes)}, the most it may have`,
    );
  }
  return new TextDecoder().decode(bytes);
}

/** `1 MiB`, `16 MiB`, or a number of bytes. */
function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** The first `limit` bytes of the file at `path` (all of it when shorter). */
async function readAtMost(path: string, limit: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = new Uint8Array(Math.min(64 * 1024, limit - total));
    const count = await file.read(chunk);
    if (count === null) break;
    chunks.push(chunk.subarray(0, count));
    total += count;
  }
  return joinChunks(chunks, total);
}

/**
 * The keys of one part of an ini file (the global part or a `[section]`),
 * read through {@linkcode ValueType}s. It remembers which keys were read, so
 * whatever is left over can be reported as unknown.
 */
export class ConfigSection {
  /** The config file, for messages. */
  readonly file: string;
  /** The section's name, or `undefined` for the keys before any section. */
  readonly name: string | undefined;
  #values: Record<string, unknown>;
  #valueless: ReadonlyMap<string, number>;
  #read = new Set<string>();
  #warnings: string[] = [];

  /** `valueless`: the keys written without a value, and their lines (ini_parse.ts). */
  constructor(
    file: string,
    values: Record<string, unknown>,
    name?: string,
    valueless: ReadonlyMap<string, number> = new Map(),
  ) {
    this.file = file;
    this.name = name;
    this.#values = values;
    this.#valueless = valueless;
  }

  /**
   * How a key is named in messages: `'port'`, or `'foo' in [targets]`. A key
   * written without a value that nobody reads is named by its line (`line 7`,
   * `line 7 in [targets]`), not its text, which may be a pasted secret.
   */
  label(key: string): string {
    const where = this.name === undefined ? "" : ` in [${this.name}]`;
    const line = this.#hiddenLine(key);
    return line !== undefined ? `line ${line}${where}` : `'${key}'${where}`;
  }

  /** How {@linkcode IniDocument.entries} names a key: as written, or `line 7` as in `label`. */
  entryName(key: string): string {
    const line = this.#hiddenLine(key);
    return line === undefined ? key : `line ${line}`;
  }

  /** The line of a key written without a value that nobody read; undefined for any other. */
  #hiddenLine(key: string): number | undefined {
    return this.#read.has(key) ? undefined : this.#valueless.get(key);
  }

  /** The line of `key` when the key is written without a value (a word on its own); else undefined. */
  valuelessLine(key: string): number | undefined {
    return this.#valueless.get(key);
  }

  /** An error about `key`, its message starting with the file. */
  error(key: string, detail: string): ConfigError {
    return new ConfigError(this.file, `${this.label(key)} ${detail}`, { key });
  }

  /** Records a warning about `key` (and counts the key as read). */
  warn(key: string, detail: string): void {
    this.#read.add(key);
    this.#warnings.push(`${this.file}: ${this.label(key)} ${detail}`);
  }

  /** Whether the key is present with a non-empty value. */
  has(key: string): boolean {
    return Object.hasOwn(this.#values, key) && this.#values[key] !== "";
  }

  /** Every key present, in file order. */
  keys(): string[] {
    return Object.keys(this.#values);
  }

  /** The value of a key that must be present and valid. */
  required<T>(key: string, type: ValueType<T>): T {
    this.#read.add(key);
    if (!Object.hasOwn(this.#values, key)) throw this.error(key, "is not defined");
    return this.#parse(key, type);
  }

  /** The value of a key, or `undefined` when it is absent or empty. */
  optional<T>(key: string, type: ValueType<T>): T | undefined {
    this.#read.add(key);
    if (!this.has(key)) return undefined;
    return this.#parse(key, type);
  }

  /** The value of a key, or `fallback` when it is absent or empty. */
  withDefault<T>(key: string, type: ValueType<T>, fallback: T): T {
    return this.optional(key, type) ?? fallback;
  }

  /**
   * Warnings collected so far, then one for every key that was present but
   * never read: `/etc/jobd.conf: unknown key 'foo' is ignored`. Keys whose
   * value is a section are left to {@linkcode IniDocument}.
   */
  warnings(): string[] {
    const unknown = this.keys()
      .filter((key) => !this.#read.has(key) && !isSection(this.#values[key]))
      .map((key) => {
        if (this.valuelessLine(key) !== undefined) {
          return `${this.file}: ${this.label(key)} is ignored: ${VALUELESS_LINE}`;
        }
        const where = this.name === undefined ? "" : ` in [${this.name}]`;
        return `${this.file}: unknown key '${key}'${where} is ignored`;
      });
    return [...this.#warnings, ...unknown];
  }

  #parse<T>(key: string, type: ValueType<T>): T {
    const value = this.#values[key];
    const parsed = type.parse(value);
    if (parsed === undefined) {
      const hint = type.hint?.(value);
      const detail = `must be ${type.describe}, got ${showValue(value)}`;
      throw this.error(key, hint === undefined ? detail : `${detail}: ${hint}`);
    }
    return parsed;
  }
}

/** What a line without a value is, in the warning about it (its text is never shown). */
export const VALUELESS_LINE = "it is a word without a value, not a setting ('key = value'); " +
  "its text is not shown, as it may be a secret";

/** Whether a parsed ini value is a section (an object of keys), not a key's value. */
const isSection = isPlainObject;

/** A config file's settings as written, flat: `key` at the top level, `[section] key` in a section. */
export type ConfigEntries = ReadonlyMap<string, string>;

/**
 * A parsed ini file: its global keys and its sections. Collects the
 * warnings of every part read, plus one for each section nobody asked for.
 */
export class IniDocument {
  /** The config file, for messages. */
  readonly file: string;
  /** The keys before any section. */
  readonly global: ConfigSection;
  #values: Record<string, unknown>;
  #valueless: ReadonlyMap<string | undefined, ReadonlyMap<string, number>>;
  #sections = new Map<string, ConfigSection>();
  #sectionHints = new Map<string, { line: number | undefined; hint: string }>();
  #warnings: string[] = [];

  /** `valueless`: by part, the keys written without a value and their lines (ini_parse.ts). */
  constructor(
    file: string,
    values: Record<string, unknown>,
    valueless: ReadonlyMap<string | undefined, ReadonlyMap<string, number>> = new Map(),
  ) {
    this.file = file;
    this.#values = values;
    this.#valueless = valueless;
    this.global = new ConfigSection(file, values, undefined, valueless.get(undefined));
  }

  /**
   * The section `[name]`, or `undefined` when the file has none. A global
   * key of that name that is not a section is left to the global reader.
   */
  section(name: string): ConfigSection | undefined {
    const values = this.#values[name];
    if (!Object.hasOwn(this.#values, name) || !isSection(values)) return undefined;
    let section = this.#sections.get(name);
    if (section === undefined) {
      section = new ConfigSection(this.file, values, name, this.#valueless.get(name));
      this.#sections.set(name, section);
    }
    return section;
  }

  /** The names of every section in the file, in file order. */
  sectionNames(): string[] {
    return Object.keys(this.#values).filter((name) => isSection(this.#values[name]));
  }

  /**
   * Every setting as written (text), for telling what a reload changed; a
   * key written without a value that nobody read is named by its line (`line 7`).
   */
  entries(): ConfigEntries {
    const entries = new Map<string, string>();
    for (const [key, value] of Object.entries(this.#values)) {
      if (!isSection(value)) {
        entries.set(this.global.entryName(key), String(value));
        continue;
      }
      const section = this.#sections.get(key) ??
        new ConfigSection(this.file, value, key, this.#valueless.get(key));
      for (const [inner, text] of Object.entries(value)) {
        entries.set(`[${key}] ${section.entryName(inner)}`, String(text));
      }
    }
    return entries;
  }

  /**
   * How to write what the section `[name]` was meant to hold, for the warning
   * about it when nobody reads it: `unknown section [name] (line N) is
   * ignored: hint`.
   */
  hintUnknownSection(name: string, hint: string, line?: number): void {
    this.#sectionHints.set(name, { line, hint });
  }

  /** Records a warning about the file as a whole: `FILE: detail`. */
  warn(detail: string): void {
    this.#warnings.push(`${this.file}: ${detail}`);
  }

  /**
   * Every warning: the file's own (keys given twice, ...), unknown keys of
   * the parts read, and unknown sections.
   */
  warnings(): string[] {
    const warnings = [...this.#warnings, ...this.global.warnings()];
    for (const section of this.#sections.values()) warnings.push(...section.warnings());
    for (const [name, value] of Object.entries(this.#values)) {
      if (!isSection(value) || this.#sections.has(name)) continue;
      const hinted = this.#sectionHints.get(name);
      if (hinted === undefined) {
        warnings.push(`${this.file}: unknown section [${name}] is ignored`);
        continue;
      }
      const where = hinted.line === undefined ? "" : ` (line ${hinted.line})`;
      warnings.push(`${this.file}: unknown section [${name}]${where} is ignored: ${hinted.hint}`);
    }
    return warnings;
  }
}

/**
 * Parses ini text; `file` names it in errors and warnings. A key given twice
 * in one part of the file is a warning naming both lines (ini uses the last).
 */
export function parseIni(text: string, file: string): IniDocument {
  let reading;
  try {
    reading = readIni(text);
  } catch (error) {
    // ini throws only on odd input, such as a section named like a global key.
    const reason = messageOf(error);
    throw new ConfigError(file, `cannot parse the file: ${reason}`, { cause: error });
  }
  const doc = new IniDocument(file, reading.values, reading.valueless);
  for (const repeated of repeatedKeys(text)) doc.warn(describeRepeatedKey(repeated));
  return doc;
}

/** Reads and parses an ini file. */
export async function loadIni(path: string): Promise<IniDocument> {
  return parseIni(await readConfigFile(path), path);
}
