/**
 * `run-manual`: claims the jobs by id and answers once every one has ended
 * and its row is stored. The jobs that can start at once (up to each
 * target's slots free for a run-manual job, paused or not) are marked
 * `running` by the claim itself and start without a running mark of their
 * own, in slots reserved while the claim is in flight; the others are queued
 * on their targets (where they go before background jobs, even on a paused
 * target).
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import type { RunManualResult } from "../protocol/requests.ts";
import type { ClaimedJob, JobOutcome } from "../job.ts";
import type { JobStore, ManualClaim } from "../storage/job_store.ts";
import type { Releaser } from "./release.ts";
import type { Target } from "./target.ts";
import { SlotReservation } from "./slot_reservation.ts";
import { unixNow } from "../unix_time.ts";

/** What a run-manual caller gets for one job: how it ended, or why it has no result. */
export type ManualAnswer = JobOutcome | { error: string };

/** What run-manual needs from the worker. */
export interface ManualRunsOptions {
  store: JobStore;
  /** The served targets, as they are now. */
  targets: ReadonlyMap<string, Target>;
  releaser: Releaser;
  /** Starts what may start now on the target (after jobs were queued). */
  schedule(target: Target): void;
  /** Starts a job the claim marked `running` in the slot reserved for it. */
  startMarked(target: Target, job: ClaimedJob): void;
  /** A claim of these ids failed: it may have committed all the same; have such rows looked for. */
  claimFailed(ids: readonly number[]): void;
  /** Resolves once claims may go to the store (see `ClaimLoopOptions.claimsOpen`). */
  claimsOpen?(): Promise<void>;
  /** Whether the worker is shutting down (no run-manual is accepted then). */
  stopping(): boolean;
}

/** The run-manual requests being served, and the callers waiting for their jobs. */
export class ManualRuns {
  readonly #options: ManualRunsOptions;
  /** Run-manual jobs being waited for, by id; undefined while their claim is in flight. */
  readonly #waiters = new Map<number, ((answer: ManualAnswer) => void) | undefined>();
  /** Run-manual claims in flight; shutdown waits for them before releasing queued jobs. */
  readonly #claims = new Set<Promise<unknown>>();

  constructor(options: ManualRunsOptions) {
    this.#options = options;
  }

  /** How many jobs callers wait for (`jobPromisesCount` in `status`). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Ids of the jobs callers wait for, their claims in flight included. */
  ids(): IterableIterator<number> {
    return this.#waiters.keys();
  }

  /** Whether a caller waits for job `id`'s result (its row is then written at once). */
  isAwaited(id: number): boolean {
    return this.#waiters.get(id) !== undefined;
  }

  /** Gives the caller waiting for job `id`, if any, its answer. */
  answer(id: number, answer: ManualAnswer): void {
    this.#waiters.get(id)?.(answer);
  }

  /** Resolves once every run-manual claim in flight has ended. */
  async claimsEnded(): Promise<void> {
    await Promise.allSettled(this.#claims);
  }

  /**
   * Runs manual jobs by id, even on paused targets, and resolves once every
   * one has ended and its row is stored. `expectedTargets`: the target the
   * caller named for some ids; a row of another target is left untouched and
   * its id gets an error (`JobStore.claimManual`).
   */
  async run(
    ids: readonly number[],
    expectedTargets: ReadonlyMap<number, string> = new Map(),
  ): Promise<RunManualResult> {
    const unique = [...new Set(ids)];
    const taken = unique.find((id) => this.#waiters.has(id));
    if (taken !== undefined) {
      throw new RequestError(`another client is already waiting for job ${taken}`);
    }
    if (this.#options.stopping()) throw new RequestError("the worker is shutting down");
    for (const id of unique) this.#waiters.set(id, undefined);
    const errors: Record<string, string> = {};
    const jobs: Record<string, JobOutcome> = {};
    try {
      const claiming = this.#claim(unique, expectedTargets);
      this.#claims.add(claiming);
      const claim = await claiming.finally(() => this.#claims.delete(claiming));
      for (const [id, error] of claim.errors) errors[id] = error;
      for (const [id, answer] of await Promise.all(claim.answers)) {
        if ("error" in answer) errors[id] = answer.error;
        else jobs[id] = answer;
      }
    } finally {
      for (const id of unique) this.#waiters.delete(id);
    }
    const result: RunManualResult = {};
    if (Object.keys(jobs).length > 0) result.jobs = jobs;
    if (Object.keys(errors).length > 0) result.errors = errors;
    return result;
  }

  /**
   * Claims run-manual jobs: those it marked `running` start at once, the
   * others of served targets are queued (a shutdown that waited for this
   * releases them). Rows of a target removed meanwhile go back to `manual`,
   * as do the marked rows once shutdown began (their attempt given back).
   */
  async #claim(ids: number[], expectedTargets: ReadonlyMap<number, string>): Promise<{
    errors: Map<number, string>;
    answers: Promise<[number, ManualAnswer]>[];
  }> {
    const { store, targets, schedule } = this.#options;
    // The claim's start time is when it goes to the store, not before the gate.
    await this.#options.claimsOpen?.();
    // Which of a target's jobs are its, the claim tells: each reserves what
    // it could start now (the slots are given back once the claim returns).
    const reservation = new SlotReservation();
    for (const target of targets.values()) {
      reservation.reserve(target, Math.min(target.freeForManual, ids.length));
    }
    const startedAt = unixNow();
    let claim: ManualClaim;
    try {
      claim = await store.claimManual(
        ids,
        new Set(targets.keys()),
        reservation.startNow,
        startedAt,
        expectedTargets,
      );
    } catch (error) {
      reservation.giveBack([], schedule);
      for (const id of ids) this.#waiters.delete(id);
      this.#options.claimFailed(ids);
      throw error;
    }
    const errors = new Map(claim.errors);
    const answers: Promise<[number, ManualAnswer]>[] = [];
    const orphans: ClaimedJob[] = [];
    const starting: [Target, ClaimedJob][] = [];
    const queued = new Set<Target>();
    const stopping = this.#options.stopping();
    for (const job of claim.claimed) {
      const target = targets.get(job.target);
      if (!target || (job.running && !reservation.holds(target))) {
        errors.set(job.id, `target '${job.target}' not found (job id=${job.id})`);
        orphans.push(job);
        continue;
      }
      if (job.running && stopping) {
        errors.set(job.id, "the worker is shutting down");
        orphans.push(job);
        continue;
      }
      answers.push(
        new Promise<ManualAnswer>((resolve) => {
          this.#waiters.set(job.id, resolve);
        }).then((answer) => [job.id, answer]),
      );
      if (job.running) {
        starting.push([target, job]);
        continue;
      }
      target.enqueue(job);
      queued.add(target);
    }
    // The slots of marked jobs that do not start here are given back too.
    reservation.giveBack(starting.map(([, job]) => job), schedule);
    for (const [target, job] of starting) this.#options.startMarked(target, job);
    for (const target of queued) schedule(target);
    await this.#options.releaser.releaseOrLeave(orphans);
    return { errors, answers };
  }
}
