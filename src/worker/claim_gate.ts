/**
 * When the worker may claim: not before start-up recovery has dealt with
 * the rows it left behind, and not while it does not hold the lock on its
 * name (its connection was lost: another worker of the same name may be
 * running now, and those rows may be that worker's).
 */

import { NAME_LOCK_LOST_CODE, StorageError } from "../storage/errors.ts";
import { decorateStore } from "../storage/decorate.ts";
import type { JobStore } from "../storage/job_store.ts";

/** What the gate reads of the name lock. */
export interface HeldName {
  readonly name: string;
  readonly held: boolean;
}

/**
 * Holds claims back. `guard(store)` is the store the worker uses: its claims
 * wait until `open()` (start-up recovery is done), and while the name lock
 * is not held a poll claims nothing (its targets are remembered for
 * `takeHeldBack()`), and run-manual, the look for claims in doubt and the
 * start of jobs claimed before fail with a transient error saying why (the
 * worker retries the starts until the lock is back).
 */
export class ClaimGate {
  readonly #lock: HeldName;
  readonly #opened = Promise.withResolvers<void>();
  readonly #heldBack = new Set<string>();

  constructor(lock: HeldName) {
    this.#lock = lock;
  }

  /** Lets claims through (once start-up recovery is done). */
  open(): void {
    this.#opened.resolve();
  }

  /**
   * Resolves once claims are let through. The worker waits for it before a
   * claim reserves slots and takes its start time (`time_started` of the
   * jobs it marks `running`), so that the time is when the claim went.
   */
  opened(): Promise<void> {
    return this.#opened.promise;
  }

  /** The targets whose polls claimed nothing while the lock was lost; forgotten once taken. */
  takeHeldBack(): string[] {
    const targets = [...this.#heldBack];
    this.#heldBack.clear();
    return targets;
  }

  /** `store` with its claims behind this gate. */
  guard(store: JobStore): JobStore {
    return decorateStore(store, {
      // The claim loop and run-manual wait for `opened()` before taking a
      // claim's start time; these waits stay for any other caller.
      claimWaiting: async (limits, startNow, startedAt) => {
        await this.#opened.promise;
        if (this.#lock.held) return await store.claimWaiting(limits, startNow, startedAt);
        for (const target of limits.keys()) this.#heldBack.add(target);
        return [];
      },
      claimManual: async (ids, servedTargets, startNow, startedAt, expectedTargets) => {
        await this.#opened.promise;
        this.#refuseWithoutLock("claim manual jobs");
        return await store.claimManual(ids, servedTargets, startNow, startedAt, expectedTargets);
      },
      // Another worker of this name may hold the lock now and have claimed these rows anew.
      markRunning: async (ids, startedAt) => {
        this.#refuseWithoutLock("start jobs");
        return await store.markRunning(ids, startedAt);
      },
      findLeftBehind: async () => {
        await this.#opened.promise;
        this.#refuseWithoutLock("look for jobs claimed by this worker");
        return await store.findLeftBehind();
      },
    });
  }

  #refuseWithoutLock(what: string): void {
    if (this.#lock.held) return;
    const reason = `the lock on the worker name '${this.#lock.name}' was lost with its ` +
      "database connection; nothing is claimed or started until it is held again";
    throw new StorageError(`Cannot ${what}: ${reason}`, {
      cause: Object.assign(new Error(reason), { code: NAME_LOCK_LOST_CODE }),
    });
  }
}
