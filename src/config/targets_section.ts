/**
 * The worker config's `[targets]` section: `NAME = concurrency` lines, read
 * with the rules every target name follows (src/target_names.ts) and what
 * ini would read otherwise than written refused by its line.
 *
 * @module
 */

import { ConfigError, type IniDocument, integerType } from "./ini_file.ts";
import { keysCutByComments } from "./cut_keys.ts";
import { MAX_TARGET_CONCURRENCY, MAX_WORKER_TARGETS } from "../protocol/limits.ts";
import { quoteTargetName, targetNameProblem } from "../target_names.ts";

/**
 * The `[targets]` section, at most `MAX_WORKER_TARGETS` of them. A key that
 * `;` or `#` cuts short (`a;b = 2` would serve `a`), a name no row can
 * carry (control or invisible characters) and a line without a value (named
 * by its number only) are refused, naming the file, the line and the key.
 */
export function readTargets(doc: IniDocument, text: string): Map<string, number> {
  const targets = new Map<string, number>();
  const section = doc.section("targets");
  if (section === undefined) return targets;
  for (const cut of keysCutByComments(text)) {
    // A line without a value is refused below by its number, never its text.
    if (cut.section !== "targets" || cut.valueless) continue;
    throw new ConfigError(
      doc.file,
      `'${cut.written}' in [targets] (line ${cut.line}) would be read as the target ` +
        `'${cut.read}': ';' and '#' start a comment; write '\\;' or '\\#' for the character, ` +
        "or end the name before it",
      { key: cut.written },
    );
  }
  const names = section.keys();
  if (names.length > MAX_WORKER_TARGETS) {
    throw new ConfigError(
      doc.file,
      `[targets] lists ${names.length} targets, more than the ${MAX_WORKER_TARGETS} one ` +
        "worker may serve",
      { key: "targets" },
    );
  }
  for (const name of names) {
    const line = section.valuelessLine(name);
    if (line !== undefined) {
      throw new ConfigError(
        doc.file,
        `line ${line} in [targets] has no concurrency: write 'NAME = concurrency' ` +
          "(the line's text is not shown, as it may be a secret)",
        { key: "targets" },
      );
    }
    if (name === "") {
      throw new ConfigError(doc.file, "a target in [targets] has an empty name", {
        key: "targets",
      });
    }
    if (name === "null") throw section.error(name, "is not a valid target name");
    const problem = targetNameProblem(name);
    if (problem !== undefined) {
      throw new ConfigError(
        doc.file,
        `${quoteTargetName(name)} in [targets] is not a valid target name: ${problem}`,
        { key: name },
      );
    }
    targets.set(name, section.required(name, integerType({ min: 1, max: MAX_TARGET_CONCURRENCY })));
  }
  return targets;
}
