/**
 * Keys that the ini parser cuts short. npm `ini` ends an unquoted key at
 * the first `;` or `#` that is not escaped (`\;`), as it ends a value: the
 * rest of the key is read as a comment. A target `a;b = 2` silently becomes
 * `a`. The parsed document cannot tell, so this reads the file's lines the
 * way `ini` does and finds such keys.
 *
 * @module
 */

import { commentAt, iniLines, isValueless } from "./ini_lines.ts";

/** A key of the file that `ini` reads shorter than it is written. */
export interface CutKey {
  /** The section it is in; undefined before any section. */
  section: string | undefined;
  /** The line number, from 1. */
  line: number;
  /** The key as written. */
  written: string;
  /** The key as `ini` reads it. */
  read: string;
  /** The line gives no value (ini_lines.ts `isValueless`): it may be a pasted secret. */
  valueless: boolean;
}

/** Every key of `text` that an unescaped `;` or `#` cuts short, in file order. */
export function keysCutByComments(text: string): CutKey[] {
  const cut: CutKey[] = [];
  let section: string | undefined;
  for (const line of iniLines(text)) {
    if (line.kind === "section") {
      section = line.name;
      continue;
    }
    const end = commentAt(line.key);
    if (end === -1) continue;
    cut.push({
      section,
      line: line.number,
      written: line.key,
      read: line.key.slice(0, end).trim(),
      valueless: isValueless(line.value),
    });
  }
  return cut;
}
