/**
 * The lines of an ini file as npm `ini` reads them (its `decode`): section
 * headers and key lines, with comment and blank lines skipped, and where ini
 * cuts a key or a value at a comment. The parsed document cannot tell what
 * ini changed silently; these lines can (cut_keys.ts, the job board's
 * board_lines.ts).
 *
 * @module
 */

/** A line that ini reads: a section header, or a key with or without `=` and a value. */
export type IniLine =
  | { kind: "section"; number: number; text: string; name: string }
  | { kind: "key"; number: number; text: string; key: string; value: string | undefined };

const SECTION_LINE = /^\[([^\]]*)\]\s*$/;
const KEY_LINE = /^([^=]+)(=(.*))?$/;

/**
 * The lines of `text` that ini reads, in order: `number` from 1, `text` as
 * written; a section's `name`, a key's `key` and `value` trimmed (`value`
 * undefined without `=`).
 */
export function* iniLines(text: string): Generator<IniLine> {
  const lines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (/^\s*([;#]|$)/.test(line)) continue;
    const number = index + 1;
    const header = SECTION_LINE.exec(line);
    if (header !== null) {
      yield { kind: "section", number, text: line, name: header[1].trim() };
      continue;
    }
    const pair = KEY_LINE.exec(line);
    if (pair === null) continue; // ini skips the line too (it starts with '=')
    const value = pair[2] === undefined ? undefined : pair[3].trim();
    yield { kind: "key", number, text: line, key: pair[1].trim(), value };
  }
}

/** Whether ini takes a trimmed key or value whole, as quoted. */
export function isQuoted(text: string): boolean {
  return (text.startsWith('"') && text.endsWith('"')) ||
    (text.startsWith("'") && text.endsWith("'"));
}

/**
 * Where ini cuts a trimmed key or value: the index of its first `;` or `#`
 * not escaped with `\`; -1 when there is none (or the text is quoted).
 */
export function commentAt(text: string): number {
  if (isQuoted(text)) return -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === ";" || text[i] === "#") return i;
  }
  return -1;
}

/** `key[]`: a line that adds to a list (ini's bracketed arrays). */
export function isListKey(key: string): boolean {
  return key.length > 2 && key.endsWith("[]");
}

/**
 * Whether a key line's trimmed `value` gives no value: the line has no `=`
 * (a word on its own, which ini reads as `true`), or nothing but `=` after
 * the key's (`word=`, and base64's padding `c2VjcmV0==`). Such a line may be
 * a pasted secret rather than a setting.
 */
export function isValueless(value: string | undefined): boolean {
  return value === undefined || /^=*$/.test(value);
}
