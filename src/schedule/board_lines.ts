/**
 * The lines of a job board, read as the ini parser reads them, for what it
 * takes silently but a board must not: a key given twice in a section (ini
 * keeps the last), a section given twice (ini merges them), a section name
 * ini would change (`[a.b]` nests under `[a]`, `[a;b]` is cut to `[a]`),
 * and a `;` or `#` right after a value's text (`cron = 0 3 * * *;x`),
 * which ini cuts as the start of a comment. A comment after a space, and
 * an escaped `\;`, are what ini documents and are fine.
 *
 * @module
 */

import { ConfigError } from "../config/ini_file.ts";
import { commentAt, iniLines, isQuoted } from "../config/ini_lines.ts";
import { MAX_SCHEDULE_NAME_LENGTH } from "../protocol/requests.ts";

/** A schedule name: letters, digits, `_` and `-`, at most 64 (the key column). */
const NAME_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SCHEDULE_NAME_LENGTH}}$`);

/** Whether `name` may name a schedule (a board's section, a request's `name`). */
export function isScheduleName(name: string): boolean {
  return NAME_PATTERN.test(name) && name !== "__proto__";
}

/** What the lines of a board say about its structure. */
export interface BoardLines {
  /** The problems found, each naming the file, the section and the key, with line numbers. */
  readonly problems: ConfigError[];
  /**
   * Whether a section or key name was refused: ini's reading of the file
   * then differs from its text, and whatever else it says would mislead.
   */
  readonly misread: boolean;
  /** How many sections the file has. */
  readonly sections: number;
}

/** A key as ini names it: trimmed, `\;` `\#` `\\` unescaped. */
function keyName(raw: string): string {
  const text = raw.trim();
  return isQuoted(text) ? text.slice(1, -1) : text.replace(/\\([\\;#])/g, "$1");
}

/** Scans the text of a board (`file` names it in the problems). */
export function scanBoardLines(text: string, file: string): BoardLines {
  const problems: ConfigError[] = [];
  const sectionLines = new Map<string, number>();
  /** The keys of each section with their lines (a section given twice shares them). */
  const sectionKeys = new Map<string, Map<string, number>>();
  let misread = false;
  let section: string | undefined;
  let keyLines = new Map<string, number>();
  const where = (key: string) => `'${key}'${section === undefined ? "" : ` in [${section}]`}`;
  for (const line of iniLines(text)) {
    const number = line.number;
    if (line.kind === "section") {
      const name = line.name;
      section = name;
      keyLines = new Map();
      if (!isScheduleName(name)) {
        misread = true;
        problems.push(
          new ConfigError(
            file,
            `[${name}] (line ${number}) is not a valid schedule name ` +
              `(letters, digits, '_' and '-', at most ${MAX_SCHEDULE_NAME_LENGTH})`,
          ),
        );
        continue;
      }
      const first = sectionLines.get(name);
      if (first !== undefined) {
        problems.push(
          new ConfigError(
            file,
            `[${name}] is given twice (lines ${first} and ${number}): ` +
              "a board has one section per schedule",
          ),
        );
        // Its keys are checked against the first one's.
        keyLines = sectionKeys.get(name)!;
        continue;
      }
      sectionLines.set(name, number);
      sectionKeys.set(name, keyLines);
      continue;
    }
    const rawKey = line.key;
    const key = keyName(rawKey);
    if (rawKey.startsWith("[")) {
      misread = true;
      problems.push(
        new ConfigError(
          file,
          `line ${number} '${line.text.trim()}' is not read as a section: nothing may follow its ']' ` +
            "(a comment goes on a line of its own)",
        ),
      );
      continue;
    }
    if (commentAt(rawKey) !== -1) {
      misread = true;
      problems.push(
        new ConfigError(
          file,
          `${where(rawKey)} (line ${number}) has a ';' or '#' in its name, which ini reads as ` +
            "the start of a comment",
          { key: rawKey },
        ),
      );
      continue;
    }
    const first = keyLines.get(key);
    if (first !== undefined) {
      problems.push(
        new ConfigError(
          file,
          `${where(key)} is given twice (lines ${first} and ${number}): give it once`,
          { key },
        ),
      );
    } else {
      keyLines.set(key, number);
    }
    const value = line.value;
    if (value === undefined) continue;
    const at = commentAt(value);
    if (at > 0 && !/\s/.test(value[at - 1])) {
      problems.push(
        new ConfigError(
          file,
          `${where(key)} (line ${number}) has '${value}': a '${value[at]}' right after the ` +
            `value is ambiguous (ini would read '${value.slice(0, at).trim()}' and a comment); ` +
            `put a space before a comment, or write '\\${value[at]}' for the character`,
          { key },
        ),
      );
    }
  }
  return { problems, misread, sections: sectionLines.size };
}
