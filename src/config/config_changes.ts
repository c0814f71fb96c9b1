/**
 * What a config reload (SIGHUP) changed in the file, in words: keys added,
 * removed and changed, targets added and removed, concurrency changes; or
 * that nothing changed. Compares the file's settings as written (npm:ini),
 * so it says what the operator edited, whichever daemon reads it. Never
 * shows the value of a secret-looking key (`password`, `mysql_password`).
 *
 * @module
 */

import { SECRET_FIELDS } from "../log_redaction.ts";
import type { ConfigEntries } from "./ini_file.ts";

/** The section whose keys are target names and values their concurrency. */
const TARGETS_SECTION = "targets";

function isSecret(name: string): boolean {
  const key = name.replace(/^\[[^\]]*\] /, "");
  return SECRET_FIELDS.some((pattern) => pattern.test(key));
}

function targetOf(name: string): string | undefined {
  const prefix = `[${TARGETS_SECTION}] `;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

/**
 * The changes from `before` to `after`, one phrase each, in the order of
 * the new file (removals last): `target mail added (concurrency 2)`,
 * `target build: concurrency 2 -> 4`, `poll_interval changed: 0 -> 5`,
 * `password changed`, `log_file removed`. Empty when nothing changed.
 */
export function configChanges(before: ConfigEntries, after: ConfigEntries): string[] {
  const changes: string[] = [];
  for (const [name, value] of after) {
    const old = before.get(name);
    if (old === value) continue;
    const target = targetOf(name);
    if (target !== undefined) {
      changes.push(
        old === undefined
          ? `target ${target} added (concurrency ${value})`
          : `target ${target}: concurrency ${old} -> ${value}`,
      );
    } else if (isSecret(name)) {
      changes.push(`${name} ${old === undefined ? "added" : "changed"}`);
    } else {
      changes.push(
        old === undefined ? `${name} added: ${value}` : `${name} changed: ${old} -> ${value}`,
      );
    }
  }
  for (const name of before.keys()) {
    if (after.has(name)) continue;
    const target = targetOf(name);
    changes.push(target !== undefined ? `target ${target} removed` : `${name} removed`);
  }
  return changes;
}

/** The changes for one log line: `nothing changed`, or `2 changes: a; b`. */
export function describeChanges(changes: readonly string[]): string {
  if (changes.length === 0) return "nothing changed";
  return `${changes.length} change${changes.length === 1 ? "" : "s"}: ${changes.join("; ")}`;
}
