/**
 * What a config reload (SIGHUP) changed in the file, in words: keys added,
 * removed and changed, targets added and removed, concurrency changes; or
 * that nothing changed. Compares the file's settings as written (npm:ini),
 * so it says what the operator edited, whichever daemon reads it. Never
 * shows the value of a secret-looking key (`password`, `mysql_password`).
 *
 * @module
 */

import { parse } from "ini";
import { SECRET_FIELDS } from "../log_redaction.ts";
import { readConfigFile } from "./ini_file.ts";

/** A config file's settings, flat: `key` at the top level, `[section] key` in a section. */
export type ConfigEntries = ReadonlyMap<string, string>;

/** The section whose keys are target names and values their concurrency. */
const TARGETS_SECTION = "targets";

function entryName(section: string | undefined, key: string): string {
  return section === undefined ? key : `[${section}] ${key}`;
}

/** The settings of a config file's text (a file that does not parse gives what it can). */
export function configEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let values: Record<string, unknown>;
  try {
    values = parse(text);
  } catch {
    return entries;
  }
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        entries.set(entryName(key, inner), String(innerValue));
      }
    } else {
      entries.set(key, String(value));
    }
  }
  return entries;
}

/** The settings of the config file at `path` (a ConfigError when it cannot be read). */
export async function readConfigEntries(path: string): Promise<Map<string, string>> {
  return configEntries(await readConfigFile(path));
}

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
