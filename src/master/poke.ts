/**
 * From pokes to polls: throttled pokes become one `poll` per worker with the
 * targets it serves; targets no worker serves are remembered and polled on
 * the first worker serving them that registers.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { DEFAULT_REQUEST_TIMEOUT } from "../config/defaults.ts";
import { messageOf } from "../text.ts";
import { PokeThrottle } from "./poke_throttle.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";

const log = getLogger(["jobd", "master", "poke"]);

/** Most targets whose pokes are remembered for a worker yet to register. */
export const MAX_REMEMBERED_TARGETS = 10_000;

/** Most target names a log line about pokes lists; the rest are counted. */
const TARGETS_NAMED_IN_LOG = 10;

/** `a, b, c and 9997 more`: a bounded list of names for a log line. */
function namesForLog(targets: readonly string[]): string {
  const named = targets.slice(0, TARGETS_NAMED_IN_LOG).join(", ");
  const more = targets.length - TARGETS_NAMED_IN_LOG;
  return more > 0 ? `${named} and ${more} more` : named;
}

/**
 * Routes pokes to the workers' `poll` (docs/protocol.md, "Master requests"): `poke(targets)` goes
 * through a {@linkcode PokeThrottle}; each batch sends every worker serving
 * any of its targets one `poll` with the targets it serves among them.
 * Targets that no worker serves are remembered at once (they never wait in
 * the throttle); a worker that registers (or registers again with new
 * targets) and serves some of them gets one `poll` with those, and they are
 * forgotten. At most `MAX_REMEMBERED_TARGETS` are remembered, the oldest
 * forgotten first; each poke costs at most two log lines, whatever its size.
 */
export class PokeRouter {
  #registry: WorkerRegistry;
  #throttle: PokeThrottle;
  /** In insertion order, oldest first. */
  #remembered = new Set<string>();
  /** Workers whose last poll failed: warned of once, not at each poll until one succeeds. */
  #failing = new WeakSet<RegisteredWorker>();
  /** Seconds a worker's answer to a poll is waited for (`request_timeout`). */
  requestTimeout: number = DEFAULT_REQUEST_TIMEOUT;

  constructor(registry: WorkerRegistry, throttleInterval: number) {
    this.#registry = registry;
    this.#throttle = new PokeThrottle(throttleInterval, (targets) => this.#deliver(targets));
    registry.onRegister((worker) => this.#deliverRemembered(worker));
  }

  /** Seconds over which pokes are merged (`poke_throttle_interval`). */
  get throttleInterval(): number {
    return this.#throttle.interval;
  }

  set throttleInterval(seconds: number) {
    this.#throttle.interval = seconds;
  }

  /** Targets poked while no worker served them, waiting for one that does. */
  get remembered(): string[] {
    return [...this.#remembered];
  }

  /**
   * Pokes targets: their workers poll them now or at the end of the throttle
   * interval; targets no worker serves are remembered.
   */
  poke(targets: readonly string[]): void {
    const served: string[] = [];
    const unserved: string[] = [];
    for (const target of targets) {
      (this.#registry.isServed(target) ? served : unserved).push(target);
    }
    if (unserved.length > 0) this.#remember(unserved);
    if (served.length > 0) this.#throttle.add(served);
  }

  /** Stops: gathered pokes are dropped. */
  stop(): void {
    this.#throttle.stop();
  }

  #deliver(targets: string[]): void {
    const unserved = new Set(targets);
    for (const [worker, served] of this.#registry.servingAny(targets)) {
      for (const target of served) unserved.delete(target);
      this.#poll(worker, served);
    }
    // A worker that served them when they were poked may have gone since.
    if (unserved.size > 0) this.#remember([...unserved]);
  }

  /**
   * Remembers pokes of targets no worker serves. Bounded: a client poking
   * made-up names must not grow the master without end; the oldest
   * remembered target goes first, and one line says how many went.
   */
  #remember(targets: readonly string[]): void {
    const forgotten: string[] = [];
    for (const target of targets) {
      if (this.#remembered.has(target)) continue;
      if (this.#remembered.size >= MAX_REMEMBERED_TARGETS) {
        const oldest = this.#remembered.values().next().value!;
        this.#remembered.delete(oldest);
        forgotten.push(oldest);
      }
      this.#remembered.add(target);
    }
    log.info("No worker serves {count} poked target(s) ({targets}); kept for the first that does", {
      count: targets.length,
      targets: namesForLog(targets),
    });
    if (forgotten.length > 0) {
      log.warn(
        "Forgot the remembered pokes of {count} target(s) ({targets}): over {max} remembered",
        {
          count: forgotten.length,
          targets: namesForLog(forgotten),
          max: MAX_REMEMBERED_TARGETS,
        },
      );
    }
  }

  #deliverRemembered(worker: RegisteredWorker): void {
    const served = worker.servedOf(this.#remembered);
    if (served.length === 0) return;
    for (const target of served) this.#remembered.delete(target);
    this.#poll(worker, served);
  }

  #poll(worker: RegisteredWorker, targets: string[]): void {
    log.debug("Sending poll of {targets} to worker {label}", {
      targets: targets.join(", "),
      label: worker.label,
    });
    worker.client.poll(targets, { timeout: this.requestTimeout }).then(
      () => this.#failing.delete(worker),
      (error) => {
        // A hung worker fails every poll until the heartbeat drops it: one warning.
        const first = !this.#failing.has(worker);
        this.#failing.add(worker);
        const values = {
          label: worker.label,
          targets: namesForLog(targets),
          error: messageOf(error),
        };
        if (first) {
          log.warn(
            "Worker {label} did not take the poll of {targets}: {error} (its further failed " +
              "polls are logged at debug level until one succeeds)",
            values,
          );
        } else {
          log.debug("Worker {label} did not take the poll of {targets} either: {error}", values);
        }
      },
    );
  }
}
