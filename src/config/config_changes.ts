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

/** One key whose value differs between two loads; `before` or `after` is absent for a key added or removed. */
export interface EntryChange<V> {
  name: string;
  before?: V;
  after?: V;
}

/**
 * The keys whose value differs from `before` to `after`, in the order of
 * `after`, then the keys removed. The one comparison of two loads: the
 * reload's log line reads it on the settings as written, and the worker
 * applies it to its `[targets]` (src/worker/target_reload.ts).
 */
export function entryChanges<V>(
  before: ReadonlyMap<string, V>,
  after: ReadonlyMap<string, V>,
): EntryChange<V>[] {
  const changes: EntryChange<V>[] = [];
  for (const [name, value] of after) {
    const old = before.get(name);
    if (old !== value) {
      changes.push(before.has(name) ? { name, before: old, after: value } : { name, after: value });
    }
  }
  for (const [name, value] of before) {
    if (!after.has(name)) changes.push({ name, before: value });
  }
  return changes;
}

/**
 * The changes from `before` to `after`, one phrase each, in the order of
 * the new file (removals last): `target mail added (concurrency 2)`,
 * `target build: concurrency 2 -> 4`, `poll_interval changed: 0 -> 5`,
 * `password changed`, `log_file removed`. Empty when nothing changed.
 * `targetPhrases`: what to say instead for a target's line, by target (a
 * change the daemon refused).
 */
export function configChanges(
  before: ConfigEntries,
  after: ConfigEntries,
  targetPhrases: ReadonlyMap<string, string> = new Map(),
): string[] {
  return entryChanges(before, after).map(({ name, before: old, after: value }) => {
    const target = targetOf(name);
    const instead = target === undefined ? undefined : targetPhrases.get(target);
    if (instead !== undefined) return instead;
    if (value === undefined) {
      return target !== undefined ? `target ${target} removed` : `${name} removed`;
    }
    if (target !== undefined) {
      return old === undefined
        ? `target ${target} added (concurrency ${value})`
        : `target ${target}: concurrency ${old} -> ${value}`;
    }
    if (isSecret(name)) return `${name} ${old === undefined ? "added" : "changed"}`;
    return old === undefined ? `${name} added: ${value}` : `${name} changed: ${old} -> ${value}`;
  });
}

/** The changes for one log line: `nothing changed`, or `2 changes: a; b`. */
export function describeChanges(changes: readonly string[]): string {
  if (changes.length === 0) return "nothing changed";
  return `${changes.length} change${changes.length === 1 ? "" : "s"}: ${changes.join("; ")}`;
}
