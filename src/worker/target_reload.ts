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

/** What one reload did to the targets beyond the file's changes, in the words of its log line. */
export interface TargetReloadOutcome {
  /** Changes left over from earlier reloads that this one applied. */
  applied: string[];
  /** The file's changes the worker refused, by target: what the line says instead. */
  refused: Map<string, string>;
}

/**
 * Applies each reload's `[targets]` to a worker. A target whose line the file
 * added, changed or removed takes the file's new state: served with the new
 * concurrency (added when it is not served), or not served. A target whose
 * line did not change keeps what requests made of it. A change the worker
 * refuses (a removal while jobs are queued or running, an add past the most
 * targets) is logged and tried again at each later reload, until it is
 * applied, the file changes that line again, or a request changes the target
 * ({@linkcode TargetReload.requested}).
 */
export class TargetReload {
  readonly #worker: Worker;
  /** Targets whose change from the file the worker refused, to try again. */
  readonly #leftOver = new Set<string>();

  constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * A request (`add-target`, `set-target-concurrency`, `remove-target`)
   * changed `name`: what the operator asked since outranks a change an
   * earlier reload could not make, which is dropped.
   */
  requested(name: string): void {
    if (!this.#leftOver.delete(name)) return;
    log.info("Target {name}: a request changed it; the earlier reload's change is dropped", {
      name,
    });
  }

  /**
   * Applies what changed from `before` (the targets of the last load) to
   * `after`, and the changes left over from earlier reloads. Says, for the
   * reload's log line, the left-over changes it applied now and the file's
   * changes the worker refused: the file's other changes are in that line
   * already.
   */
  apply(
    before: ReadonlyMap<string, number>,
    after: ReadonlyMap<string, number>,
  ): TargetReloadOutcome {
    const changed = new Set(entryChanges(before, after).map((change) => change.name));
    const retried = [...this.#leftOver].filter((name) => !changed.has(name));
    this.#leftOver.clear();
    // Removals first: they make room for the targets added.
    const removedFirst = (names: Iterable<string>) =>
      [...names].sort((a, b) => Number(after.has(a)) - Number(after.has(b)));
    const outcome: TargetReloadOutcome = { applied: [], refused: new Map() };
    for (const name of removedFirst(changed)) {
      const result = this.#applyFile(name, after.get(name), false);
      if (result.refused !== undefined) {
        outcome.refused.set(name, `${result.refused}, tried again at the next reload`);
      }
    }
    for (const name of removedFirst(retried)) {
      const { applied } = this.#applyFile(name, after.get(name), true);
      if (applied !== undefined) {
        outcome.applied.push(`${applied} (left over from an earlier reload)`);
      }
    }
    return outcome;
  }

  /**
   * Gives a target the file's state: served with `concurrency`, or not
   * served when it is undefined. Says what changed (nothing when it was so
   * already), or why the worker refused: then the change is left over for
   * the next reload.
   */
  #applyFile(
    name: string,
    concurrency: number | undefined,
    retry: boolean,
  ): { applied?: string; refused?: string } {
    const cause = retry ? "config reload, left over from an earlier one" : "config reload";
    const target = this.#worker.targets.get(name);
    try {
      if (concurrency === undefined) {
        if (target === undefined) return {};
        this.#worker.removeTarget(name, cause);
        return { applied: `target ${name} removed` };
      }
      if (target === undefined) {
        this.#worker.addTarget(name, concurrency, cause);
        return { applied: `target ${name} added (concurrency ${concurrency})` };
      }
      const old = target.concurrency;
      if (old === concurrency) return {};
      this.#worker.setConcurrency(name, concurrency, cause);
      return { applied: `target ${name}: concurrency ${old} -> ${concurrency}` };
    } catch (error) {
      this.#leftOver.add(name);
      // Only a removal with jobs in hand, or an add past the most targets, is refused.
      const jobs = target?.length ?? 0;
      const reason = concurrency === undefined
        ? `${jobs} job${jobs === 1 ? "" : "s"} queued or running`
        : messageOf(error);
      const action = concurrency === undefined ? "removal" : "adding";
      log.warn(
        "Config reload: target {name}: {action} refused ({reason}); the next reload tries again",
        {
          name,
          action,
          reason,
        },
      );
      return { refused: `target ${name}: ${action} refused (${reason})` };
    }
  }
}
