/**
 * From pokes to polls: throttled pokes become one `poll` per worker with the
 * targets it serves; targets no worker serves are remembered and polled on
 * the first worker serving them that registers.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { PokeThrottle } from "./poke_throttle.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";
import { FORWARD_TIMEOUT } from "./timeouts.ts";

const log = getLogger(["jobd", "master", "poke"]);

/** Most targets whose pokes are remembered for a worker yet to register. */
export const MAX_REMEMBERED_TARGETS = 10_000;

/**
 * Routes pokes to the workers' `poll` (docs/protocol.md, "Master requests"): `poke(targets)` goes
 * through a {@linkcode PokeThrottle}; each batch sends every worker serving
 * any of its targets one `poll` with the targets it serves among them.
 * Targets that no worker serves are remembered; a worker that registers (or
 * registers again with new targets) and serves some of them gets one `poll`
 * with those, and they are forgotten.
 */
export class PokeRouter {
  #registry: WorkerRegistry;
  #throttle: PokeThrottle;
  /** In insertion order, oldest first. */
  #remembered = new Set<string>();

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

  /** Pokes targets: their workers poll them now or at the end of the throttle interval. */
  poke(targets: readonly string[]): void {
    this.#throttle.add(targets);
  }

  /** Stops: gathered pokes are dropped. */
  stop(): void {
    this.#throttle.stop();
  }

  #deliver(targets: string[]): void {
    const unserved = new Set(targets);
    for (const worker of this.#registry.workers) {
      const served = worker.servedOf(targets);
      if (served.length === 0) continue;
      for (const target of served) unserved.delete(target);
      this.#poll(worker, served);
    }
    if (unserved.size > 0) {
      for (const target of unserved) {
        // Bounded: a client poking made-up names must not grow the master
        // without end. The oldest remembered target goes first.
        if (this.#remembered.size >= MAX_REMEMBERED_TARGETS && !this.#remembered.has(target)) {
          const oldest = this.#remembered.values().next().value!;
          this.#remembered.delete(oldest);
          log.warn("Forgetting the remembered poke of {target}: over {max} targets remembered", {
            target: oldest,
            max: MAX_REMEMBERED_TARGETS,
          });
        }
        this.#remembered.add(target);
      }
      log.info("No worker serves {targets}; the poke is kept for the first that does", {
        targets: [...unserved].join(", "),
      });
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
    worker.client.poll(targets, { timeout: FORWARD_TIMEOUT })
      .catch((error) => {
        log.warn("Worker {label} did not take the poll of {targets}: {error}", {
          label: worker.label,
          targets: targets.join(", "),
          error: messageOf(error),
        });
      });
  }
}
