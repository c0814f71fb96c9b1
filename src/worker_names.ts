/**
 * Which worker names the master takes. A worker's `name` enters at its
 * config and at the master's `register-worker`, and is shown in the master's
 * lists, log lines, errors, `/metrics` labels and status page; a name with a
 * control character or an invisible one (a bidirectional override, a
 * zero-width space) would read there as another, and half a character
 * (a lone surrogate) is no text at all. Such names are refused where they
 * enter, with the character's code point; the rule on characters is the
 * target names' ({@linkcode nameCharacterProblem}).
 *
 * @module
 */

import { MAX_WORKER_NAME_LENGTH } from "./protocol/limits.ts";
import { characterCount, nameCharacterProblem } from "./target_names.ts";
import { escapeControls } from "./text.ts";

/**
 * Why `name` is no worker name (empty or blank, longer than
 * `MAX_WORKER_NAME_LENGTH` characters, a control, invisible or broken
 * character); undefined when it is fine.
 */
export function workerNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "a worker name cannot be empty or blank";
  const length = characterCount(name);
  if (length > MAX_WORKER_NAME_LENGTH) {
    return `it has ${length} characters, more than the ${MAX_WORKER_NAME_LENGTH} a worker name may have`;
  }
  return nameCharacterProblem(name);
}

/**
 * `'name'` for a message, its control and invisible characters escaped
 * (`\x07`, `\u202e`), cut to `MAX_WORKER_NAME_LENGTH` characters and `…`.
 */
export function quoteWorkerName(name: string): string {
  const chars = Array.from(name.slice(0, 2 * MAX_WORKER_NAME_LENGTH + 2));
  const shown = chars.length > MAX_WORKER_NAME_LENGTH
    ? `${chars.slice(0, MAX_WORKER_NAME_LENGTH).join("")}…`
    : name;
  return `'${escapeControls(shown, { oneLine: true })}'`;
}
