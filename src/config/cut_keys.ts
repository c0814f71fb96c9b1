/**
 * Keys that the ini parser cuts short. npm `ini` ends an unquoted key at
 * the first `;` or `#` that is not escaped (`\;`), as it ends a value: the
 * rest of the key is read as a comment. A target `a;b = 2` silently becomes
 * `a`. The parsed document cannot tell, so this reads the file's lines the
 * way `ini` does and finds such keys.
 *
 * @module
 */

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
}

/** The section header and key lines of `ini` (see its `decode`). */
const LINE = /^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$/;

/** Every key of `text` that an unescaped `;` or `#` cuts short, in file order. */
export function keysCutByComments(text: string): CutKey[] {
  const cut: CutKey[] = [];
  let section: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, index) => {
    if (/^\s*([;#]|$)/.test(line)) return;
    const match = LINE.exec(line);
    if (!match) return;
    if (match[1] !== undefined) {
      section = match[1].trim();
      return;
    }
    const written = match[2].trim();
    if (/^(".*"|'.*')$/.test(written)) return;
    const end = commentStart(written);
    if (end === undefined) return;
    cut.push({ section, line: index + 1, written, read: written.slice(0, end).trim() });
  });
  return cut;
}

/** Where an unescaped `;` or `#` starts a comment in `text`, if anywhere. */
function commentStart(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === ";" || text[i] === "#") return i;
  }
  return undefined;
}
