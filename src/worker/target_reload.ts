/**
 * What a config reload (SIGHUP) does to the worker's targets: it applies the
 * `[targets]` lines the file changed since it was last loaded, and leaves
 * every other target as the requests left it (`add-target`,
 * `set-target-concurrency`, `remove-target`).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { entryChanges } from "../config/config_changes.ts";
import { messageOf } from "../text.ts";
import type { Worker } from "./worker.ts";

const log = getLogger(["jobd", "worker"]);

/**
 * Applies each reload's `[targets]` to a worker. A target whose line the file
 * added, changed or removed takes the file's new state: served with the new
 * concurrency (added when it is not served), or not served. A target whose
 * line did not change keeps what requests made of it. A change the worker
 * refuses (a removal while jobs are queued or running, an add past the most
 * targets) is logged and tried again at each later reload, until it is
 * applied or the file changes that line again.
 */
export class TargetReload {
  readonly #worker: Worker;
  /** Targets whose change from the file the worker refused, to try again. */
  readonly #leftOver = new Set<string>();

  constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Applies what changed from `before` (the targets of the last load) to
   * `after`, and the changes left over from earlier reloads. Returns, as
   * phrases for the reload's log line, the left-over changes it applied now:
   * the file's own changes are in that line already.
   */
  apply(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
    const changed = new Set(entryChanges(before, after).map((change) => change.name));
    const retried = [...this.#leftOver].filter((name) => !changed.has(name));
    this.#leftOver.clear();
    // Removals first: they make room for the targets added.
    const removedFirst = (names: Iterable<string>) =>
      [...names].sort((a, b) => Number(after.has(a)) - Number(after.has(b)));
    for (const name of removedFirst(changed)) this.#applyFile(name, after.get(name), false);
    const applied: string[] = [];
    for (const name of removedFirst(retried)) {
      const phrase = this.#applyFile(name, after.get(name), true);
      if (phrase !== undefined) applied.push(`${phrase} (left over from an earlier reload)`);
    }
    return applied;
  }

  /**
   * Gives a target the file's state: served with `concurrency`, or not
   * served when it is undefined. Returns what changed, or undefined when
   * nothing did (already so, or refused: then left over for the next reload).
   */
  #applyFile(name: string, concurrency: number | undefined, retry: boolean): string | undefined {
    const cause = retry ? "config reload, left over from an earlier one" : "config reload";
    const target = this.#worker.targets.get(name);
    try {
      if (concurrency === undefined) {
        if (target === undefined) return undefined;
        this.#worker.removeTarget(name, cause);
        return `target ${name} removed`;
      }
      if (target === undefined) {
        this.#worker.addTarget(name, concurrency, cause);
        return `target ${name} added (concurrency ${concurrency})`;
      }
      const old = target.concurrency;
      if (old === concurrency) return undefined;
      this.#worker.setConcurrency(name, concurrency, cause);
      return `target ${name}: concurrency ${old} -> ${concurrency}`;
    } catch (error) {
      this.#leftOver.add(name);
      log.warn("Config reload: target {name} not {action}: {error}; the next reload tries again", {
        name,
        action: concurrency === undefined ? "removed" : "added",
        error: messageOf(error),
      });
      return undefined;
    }
  }
}
