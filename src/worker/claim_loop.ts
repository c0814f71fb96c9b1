/**
 * The claim loop: turns pending polls into claims of `waiting` rows, one
 * claim at a time, and queues the claimed jobs on their targets. The jobs
 * that can start at once (up to a target's free slots) are marked `running`
 * by the claim itself and start without a running mark of their own: their
 * slots are reserved while the claim is in flight.
 *
 * Its state, field by field:
 * - pending polls: `Target.pollPending`, per target; set by a poll, by a
 *   full claim (more may wait), by a failed one and by a release of jobs
 *   claimed ahead (stale_queues.ts); cleared when a claim takes the
 *   target's room.
 * - in flight (`#inFlight`): a loop of claim rounds is running; a request
 *   meanwhile sets `#again`, and the loop runs one more round.
 * - gathering (`#gather`): a slot freed while other jobs run; the claim
 *   waits {@linkcode CLAIM_GATHER_MS} for the slots freed meanwhile.
 * - backing off (`#retry`): a claim failed; it is tried again after the
 *   backoff delay.
 * - in doubt (`#inDoubt`, `#manualInDoubt`, `#startsInDoubt`): a claim
 *   failed and may have committed all the same; the next round first adopts
 *   the rows this worker owns in `accepted` without knowing them, and
 *   releases those it owns in `running` with the `time_started` of a failed
 *   claim that marked jobs, or among the ids of a failed run-manual claim,
 *   which it does not run (they never started).
 * - stopped: shutdown began; no claim starts, and `stop()` resolves once
 *   the one in flight has ended.
 *
 * Seam: `#round` builds each claim (the targets with a pending poll and
 * room, and their limits): the place for work that must come before a
 * claim, such as making deferred jobs due.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { retryLogLevel } from "../storage/errors.ts";
import type { ClaimedJob } from "../job.ts";
import type { JobStore } from "../storage/job_store.ts";
import { Backoff } from "../retry_policy.ts";
import { FailureRun, formatLength } from "../outage.ts";
import type { Releaser } from "./release.ts";
import type { Target } from "./target.ts";
import { unixNow } from "../unix_time.ts";
import { SlotReservation } from "./slot_reservation.ts";

const log = getLogger(["jobd", "worker"]);

/**
 * How long a claim for a freed slot waits while other jobs run, so that the
 * slots they free meanwhile are filled by the same claim: fewer, larger
 * claims (bench/README.md). A worker with nothing running claims at once.
 */
export const CLAIM_GATHER_MS = 1;

/**
 * Most rows one claim takes, over all its targets (each up to
 * `mysql_fetch_limit`): 150,000 rows took 10 s of a statement's time limit.
 * The targets past it are claimed for by the next rounds, at once, each
 * beginning where the last one stopped.
 */
export const MAX_CLAIM_ROWS = 5_000;

/** What the claim loop needs from the worker. */
export interface ClaimLoopOptions {
  store: JobStore;
  /** The served targets, as they are now. */
  targets: ReadonlyMap<string, Target>;
  /** Most rows one claim takes per target (`mysql_fetch_limit`), as it is now. */
  fetchLimit(): number;
  /** How many jobs run now (with none, a freed slot is claimed for at once). */
  running(): number;
  /**
   * Resolves once claims may go to the store (the claim gate: start-up
   * recovery is done). A claim waits for it before it reserves slots and
   * takes its start time. Absent: at once.
   */
  claimsOpen?(): Promise<void>;
  /** Ids of the jobs this worker knows: running, queued, being released, awaited by run-manual. */
  knownIds(): Set<number>;
  /** Starts what may start now on the target (after jobs were queued). */
  schedule(target: Target): void;
  /**
   * Starts a job the claim marked `running` in the slot reserved for it (or,
   * once shutdown began, releases it from `running`).
   */
  startMarked(target: Target, job: ClaimedJob): void;
  releaser: Releaser;
  /**
   * Runs before each round: deferred jobs promote their due rows to
   * `waiting` here (deferred.ts), and name the targets whose rows they
   * promoted: this round claims for them, even when an earlier round used
   * the poll that asked for them. A failure fails the round (retried).
   */
  beforeRound?(): Promise<readonly string[] | void>;
}

/** Claims jobs for targets with a pending poll and room, one claim at a time. */
export class ClaimLoop {
  readonly #options: ClaimLoopOptions;
  #inFlight: Promise<void> | undefined;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #gather: ReturnType<typeof setTimeout> | undefined;
  #backoff = new Backoff();
  /** Failed rounds in a row: one line, again when the reason changes, the others at debug. */
  readonly #failures = new FailureRun();
  /** A claim failed: it may have committed without our knowing; look for such rows. */
  #inDoubt = false;
  /** Ids of failed run-manual claims: such rows found `accepted` go back to `manual`. */
  readonly #manualInDoubt = new Set<number>();
  /** The `startedAt` of failed claims that marked jobs `running`: such rows never started. */
  readonly #startsInDoubt = new Set<number>();
  #stopped = false;
  /** The first target a claim's cap left out: the next round begins with it. */
  #resumeAt: string | undefined;

  constructor(options: ClaimLoopOptions) {
    this.#options = options;
  }

  /**
   * Whether targets claim jobs ahead of their free slots and release those
   * that stop starting: only with the `worker` column. Without it, rows
   * claimed ahead by a worker that crashed would stay `accepted` until fixed
   * by hand, and a release retried after a lost reply has no owner guard.
   */
  get claimsAhead(): boolean {
    return this.#options.store.tracksOwner;
  }

  /** Sets the polls of `names` pending and claims for every pending poll. */
  poll(names: Iterable<string>): void {
    for (const name of names) {
      const target = this.#options.targets.get(name);
      if (target) target.pollPending = true;
    }
    this.claim();
  }

  /** Claims for every target with a pending poll and room (after the round in flight). */
  claim(): void {
    if (this.#stopped) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    const ended = Promise.withResolvers<void>();
    this.#inFlight = ended.promise;
    this.#rounds().finally(ended.resolve);
  }

  /**
   * A job of `target` ended: claims for its pending poll if it has room, at
   * once when no job runs, otherwise after {@linkcode CLAIM_GATHER_MS} so
   * that slots freed meanwhile are filled by the same claim. Each target
   * takes what its room is at the time of the claim.
   */
  slotFreed(target: Target): void {
    if (!target.pollPending || this.#roomOf(target) === 0) return;
    if (this.#stopped) return;
    if (this.#options.running() === 0) {
      this.claim();
      return;
    }
    this.#gather ??= setTimeout(() => {
      this.#gather = undefined;
      this.claim();
    }, CLAIM_GATHER_MS);
  }

  /** Jobs may have been claimed without our knowing: the next round looks for them. */
  lookForLeftBehind(): void {
    this.#inDoubt = true;
  }

  /**
   * Part of a claim failed and may have committed all the same (while its
   * other part's jobs were taken): the next round looks for such rows, and
   * releases those it marked `running` at `startedAt` (undefined: it marked
   * none) that no job here runs.
   */
  claimInDoubt(startedAt: number | undefined): void {
    if (startedAt !== undefined) this.#startsInDoubt.add(startedAt);
    this.#inDoubt = true;
    this.#again = true;
  }

  /**
   * A run-manual claim of `ids` failed, and may have committed all the same:
   * such rows are looked for at once and go back to `manual`.
   */
  manualClaimFailed(ids: readonly number[]): void {
    for (const id of ids) this.#manualInDoubt.add(id);
    this.#inDoubt = true;
    this.claim();
  }

  /**
   * Claims no more; resolves once the claim in flight has ended. When a
   * failed claim may have marked jobs `running` (or taken run-manual rows)
   * and nobody looked yet, it looks once more, best effort: such rows never
   * started, and start-up recovery could not tell them from jobs that ran.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#gather);
    await this.#inFlight;
    if (this.#startsInDoubt.size === 0 && this.#manualInDoubt.size === 0) return;
    try {
      await this.#adoptClaimsInDoubt();
    } catch (error) {
      log.warn(
        "Cannot look for the rows of a claim whose reply was lost before stopping; rows it " +
          "marked running are left to start-up recovery: {error}",
        { error: messageOf(error) },
      );
    }
  }

  /** Claim rounds until none is asked for; a failure schedules a retry with backoff. */
  async #rounds(): Promise<void> {
    try {
      do {
        this.#again = false;
        if (this.#inDoubt) await this.#adoptClaimsInDoubt();
        const promoted = await this.#options.beforeRound?.();
        for (const name of promoted ?? []) {
          const target = this.#options.targets.get(name);
          if (target) target.pollPending = true;
        }
        await this.#round();
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#inDoubt = true;
      if (this.#stopped) {
        log.warn("Cannot claim jobs: {error}", { error: messageOf(error) });
        return;
      }
      const delay = this.#backoff.next();
      const reason = messageOf(error);
      // Refusals in a row are one error; an outage is logged by the database
      // watch, a lock conflict is a warning each time (as before).
      let level = retryLogLevel(error);
      if (level === "error" && !this.#failures.failed(reason)) level = "debug";
      log[level]("Cannot claim jobs, retrying in {delay} ms: {error}", { delay, error: reason });
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.claim(), delay);
    } finally {
      this.#inFlight = undefined;
    }
  }

  /**
   * One claim for every target with a pending poll and room, each limited to
   * what it can take now, in one transaction; the jobs are queued (or
   * released when their target was removed meanwhile).
   */
  async #round(): Promise<void> {
    if (this.#stopped) return;
    // The claim's start time is when it goes to the store, not before the gate.
    await this.#options.claimsOpen?.();
    if (this.#stopped) return;
    const { targets } = this.#options;
    const fetchLimit = this.#options.fetchLimit();
    const limits = new Map<string, number>();
    const joining: Target[] = [];
    let total = 0;
    let leftOut: string | undefined;
    // Takes the target into the claim, up to what is left of MAX_CLAIM_ROWS.
    const take = (target: Target, room: number): void => {
      const limit = Math.min(room, fetchLimit, MAX_CLAIM_ROWS - total);
      if (limit <= 0) {
        leftOut ??= target.name;
        return;
      }
      limits.set(target.name, limit);
      total += limit;
      // Cleared before the claim: a poll that arrives during it (for rows
      // inserted after its snapshot) sets it again and is served next round.
      target.pollPending = false;
    };
    for (const target of this.#inTurn(targets)) {
      if (!target.pollPending) continue;
      const room = this.#roomOf(target);
      if (room === 0) joining.push(target);
      else take(target, room);
    }
    if (limits.size === 0) return;
    // Targets whose queue runs low join this claim rather than make their
    // own shortly after: one statement for several targets.
    for (const target of joining) {
      const room = this.#roomOf(target, true);
      if (room > 0) take(target, room);
    }
    // Targets past the cap keep their poll pending; the next round, at once,
    // begins with the first of them, so that every target has its turn.
    this.#resumeAt = leftOut;
    if (leftOut !== undefined) this.#again = true;
    // The free slots of each target start jobs at once: the claim marks
    // them `running`. The slots are taken until it returns, so that a
    // run-manual job queued meanwhile cannot leave a marked job waiting.
    const reservation = new SlotReservation();
    for (const [name, limit] of limits) {
      const target = targets.get(name)!;
      reservation.reserve(target, Math.min(target.free, limit));
    }
    const { startNow } = reservation;
    const startedAt = unixNow();
    let claimed;
    try {
      claimed = await this.#options.store.claimWaiting(limits, startNow, startedAt);
    } catch (error) {
      if (startNow.size > 0) this.#startsInDoubt.add(startedAt);
      for (const name of limits.keys()) {
        const target = targets.get(name);
        if (target) target.pollPending = true;
      }
      reservation.giveBack([], this.#options.schedule);
      throw error;
    }
    this.#backoff.reset();
    const failedFor = this.#failures.succeeded();
    if (failedFor !== undefined) {
      log.warn("Claims work again, after failing for {length}", {
        length: formatLength(failedFor),
      });
    }
    const byTarget = Map.groupBy(claimed, (job) => job.target);
    const orphans: ClaimedJob[] = [];
    reservation.giveBack(claimed, this.#options.schedule);
    for (const [name, limit] of limits) {
      const jobs = byTarget.get(name) ?? [];
      log.debug("Claimed {count} job(s) of {target}", { count: jobs.length, target: name });
      const target = targets.get(name);
      if (!target) {
        orphans.push(...jobs);
        continue;
      }
      // A full claim means more may be waiting: keep the poll pending.
      if (jobs.length >= limit) {
        target.pollPending = true;
        this.#again = true;
      }
      for (const job of jobs) {
        if (!job.running) target.enqueue(job);
        // Its slot is reserved on the target as it was (not one re-added meanwhile).
        else if (reservation.holds(target)) this.#options.startMarked(target, job);
        else orphans.push(job);
      }
      this.#options.schedule(target);
    }
    try {
      await this.#options.releaser.release(orphans);
    } catch (error) {
      // The next round looks for them: `running` rows of this claim's time that no job here runs.
      if (orphans.some((job) => job.running)) this.#startsInDoubt.add(startedAt);
      throw error;
    }
  }

  /**
   * Finds rows this worker owns in `accepted` that it does not know of: a
   * claim whose commit succeeded while its reply was lost, or whose release
   * failed. A poll's rows are queued (released when their target is gone),
   * a run-manual's go back to `manual`. Needs the `worker` column; without it
   * such rows wait for an operator.
   */
  async #adoptClaimsInDoubt(): Promise<void> {
    // Cleared before the query: a claim failing during it is looked for next time.
    this.#inDoubt = false;
    const manualIds = new Set(this.#manualInDoubt);
    this.#manualInDoubt.clear();
    const starts = new Set(this.#startsInDoubt);
    this.#startsInDoubt.clear();
    if (!this.#options.store.tracksOwner) return;
    try {
      await this.#adopt(manualIds, starts);
    } catch (error) {
      for (const id of manualIds) this.#manualInDoubt.add(id);
      for (const startedAt of starts) this.#startsInDoubt.add(startedAt);
      throw error;
    }
  }

  /**
   * Looks for rows in doubt; those of `manualIds` go back to `manual` (from
   * `accepted`, or from `running` when their claim marked them), and those a
   * failed claim of `starts` (their `time_started`) marked `running` are
   * released from it, their attempt given back.
   */
  async #adopt(manualIds: ReadonlySet<number>, starts: ReadonlySet<number>): Promise<void> {
    const { targets, knownIds } = this.#options;
    // Known before the query and after it: a row released while the query
    // ran was still 'accepted' for the query, but is ours no longer.
    const knownBefore = knownIds();
    const leftBehind = await this.#options.store.findLeftBehind();
    const known = knownIds().union(knownBefore);
    const adopted = leftBehind.filter((job) => job.status === "accepted" && !known.has(job.id));
    // Every job this worker started, or has yet to store the result of, is
    // known: a row a failed claim marked and no job here runs never started.
    const unstarted = leftBehind.filter((job) =>
      job.status === "running" && !known.has(job.id) &&
      (manualIds.has(job.id) || starts.has(job.startedAt ?? -1))
    ).map(({ id, target, startedAt }): ClaimedJob => ({
      id,
      target,
      origin: manualIds.has(id) ? "manual" : "waiting",
      startedAt,
    }));
    if (unstarted.length > 0) {
      log.warn(
        "Jobs {ids} were marked running by a claim whose reply was lost and never started; " +
          "releasing them",
        { ids: unstarted.map((job) => job.id).join(", ") },
      );
      await this.#options.releaser.release(unstarted, "marked");
    }
    // The client of a failed run-manual got an error: its rows wait for the
    // next one. Rows of a target no longer served go back too.
    const release: ClaimedJob[] = [];
    for (const { id, target: name, row } of adopted) {
      const target = targets.get(name);
      if (manualIds.has(id) || !target) {
        release.push({ id, target: name, origin: manualIds.has(id) ? "manual" : "waiting" });
        continue;
      }
      log.warn("Job {id} was claimed by a claim whose reply was lost; queueing it", { id });
      target.enqueue({ id, target: name, origin: "waiting", row });
      this.#options.schedule(target);
    }
    if (release.length > 0) {
      log.warn("Jobs {ids} were claimed but cannot run here now; releasing them", {
        ids: release.map((job) => job.id).join(", "),
      });
      await this.#options.releaser.release(release);
    }
  }

  /** The targets in claim order: from the one a capped claim left out first, round to it. */
  *#inTurn(targets: ReadonlyMap<string, Target>): Iterable<Target> {
    // The usual round (no claim was capped): the map as it is, no copy.
    if (this.#resumeAt === undefined) return yield* targets.values();
    const all = [...targets.values()];
    const start = Math.max(0, all.findIndex((target) => target.name === this.#resumeAt));
    for (let i = 0; i < all.length; i++) yield all[(start + i) % all.length];
  }

  /**
   * How many more jobs a claim may add to the target now (ahead: up to a
   * claim's worth), or when `joining` a claim made for another target.
   */
  #roomOf(target: Target, joining = false): number {
    return target.room(this.claimsAhead ? this.#options.fetchLimit() : 0, joining);
  }
}
