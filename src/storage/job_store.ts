/**
 * The storage seam of the worker: every database operation a job meets, and
 * nothing else. Implementations: MySQL/MariaDB (`mysql_store.ts`) and SQLite
 * (`sqlite_store.ts`). Both pass the same conformance suite
 * (`tests/storage_conformance/`, one module per operation), as does
 * the in-memory store of the worker's unit tests (`tests/helpers/memory_store.ts`).
 *
 * The job's own types (statuses, claimed job, outcome) are in `src/job.ts`.
 * Status transitions (see ARCHITECTURE.md for the diagram):
 *   waiting --claimWaiting--> accepted
 *   waiting --claimWaiting--> running           (startNow: the jobs that start at once)
 *   manual  --claimManual---> accepted          (served target)
 *   manual  --claimManual---> running           (startNow: the jobs that start at once)
 *   manual  --claimManual---> ignored           (target not served)
 *   manual  --claimManual---> manual            (not the target the caller named)
 *   accepted --markRunning--> running
 *   running --markDone------> done
 *   accepted --release------> waiting | manual  (shutdown, recovery)
 *   running --release-------> waiting | manual  (a start cut short; "marked": attempt given back)
 *   delayed --promoteDelayed-> waiting           (time_run_at passed)
 *   running --markDone------> delayed            (a failed job with attempts left: retryAt)
 *   markRunningAndDone: markRunning and markDone in one commit
 * Every transition after the claim is guarded by the expected status and
 * reports whether the row was in that status.
 */

import type { ClaimedJob, JobOutcome, RowTimeValues } from "../job.ts";
import type { TargetColumn } from "../target_names.ts";
import type { JobControl } from "./job_control.ts";
import type { TimeColumnsFound, TimeFeatures } from "./time_columns.ts";

/** A final row write: which job, how it ended, when. */
export interface FinishedJob {
  id: number;
  outcome: JobOutcome;
  /** Unix seconds. */
  finishedAt: number;
  /**
   * Unix seconds: the job is to run again then. The row goes to `delayed`
   * with this `time_run_at` (keeping this attempt's result, code, signal and
   * output) instead of `done`. Only where the store has `timeFeatures.retries`.
   */
  retryAt?: number;
}

/** What `markRunningAndDone` left untouched. */
export interface StartedAndDone {
  /** Ids of the jobs to start whose row was not `accepted`. */
  notAccepted: number[];
  /** Ids of the ended jobs whose row was not `running`. */
  notRunning: number[];
}

/** What a worker knows of one target's `delayed` rows. */
export interface DelayedSummary {
  /** How many there are, counted up to `DELAYED_COUNT_LIMIT` (protocol/requests.ts). */
  count: number;
  /** The earliest `time_run_at` among them (unix seconds). */
  next: number;
}

/**
 * The rows a release gives back: `accepted` ones (claimed, never started);
 * `running` ones as start-up recovery requeues them (`recover_running =
 * requeue`: the job may have run, so the attempt its start counted stays);
 * or `marked`: `running` rows whose job never started (a claim or a running
 * mark went through, then shutdown or a lost reply kept the launcher from
 * starting), whose counted attempt is given back.
 */
export type ReleaseFrom = "accepted" | "running" | "marked";

/** The result of claiming manual jobs by id. */
export interface ManualClaim {
  /** Rows now `accepted` by this worker (or `running`: `running: true`), in id order. */
  claimed: ClaimedJob[];
  /**
   * Ids that were not claimed, with the reason (texts of docs/protocol.md, "Worker requests"):
   * `job N not found`, `status = S != manual`,
   * `target 'T' not found (job id=N)` (that row is now `ignored`).
   */
  errors: Map<number, string>;
}

/** Rows this worker owned when it last stopped, found at start-up. */
export interface LeftBehindJob {
  id: number;
  target: string;
  status: "accepted" | "running";
  /** The row's `timeout`, `attempts`, `max_attempts`, for the columns the table has. */
  row?: RowTimeValues;
  /** Its `time_started` (unix seconds), for a `running` row. */
  startedAt?: number;
}

/** The operations the worker needs from the jobs table. */
export interface JobStore {
  /** Whether rows record their owner (the optional `worker` column exists). */
  readonly tracksOwner: boolean;

  /** Which optional time columns the table has (and whether `status` takes `delayed`). */
  readonly timeColumns: TimeColumnsFound;

  /** What those columns turn on. */
  readonly timeFeatures: TimeFeatures;

  /**
   * `delayed` -> `waiting` for rows of `targets` whose `time_run_at` ≤ `now`,
   * at most `limit` of them, in one guarded UPDATE (`WHERE status = 'delayed'`):
   * workers promoting at once promote each row once. Returns how many it
   * promoted. Nothing without `timeFeatures.deferred`.
   */
  promoteDelayed(targets: readonly string[], now: number, limit: number): Promise<number>;

  /**
   * For each of `targets` with `delayed` rows: how many (up to
   * `DELAYED_COUNT_LIMIT`) and the earliest `time_run_at`. Empty without
   * `timeFeatures.deferred`.
   */
  countDelayed(targets: readonly string[]): Promise<Map<string, DelayedSummary>>;

  /**
   * What the table's `target` column can hold, read when the store opened
   * (`target_names.ts` refuses names no row can carry); absent when the
   * store sets no limit.
   */
  readonly targetColumn?: TargetColumn;

  /**
   * Claims, for each target of `limits`, up to its limit (≥ 1) of `waiting`
   * rows, lowest id first, setting them `accepted` (and `worker` = this
   * worker's name when tracked), all in one short transaction. Rows locked by
   * another worker are skipped where the database supports it. The jobs come
   * in target order of `limits`, then id order.
   *
   * `startNow` says, per target, how many of its claimed rows (the lowest
   * ids) start at once: those go straight to `running` instead, with
   * `time_started` = `startedAt` and the attempt counted as `markRunning`
   * does, in the same transaction, and come with `running: true`. Their
   * `row.attempts` is the count before this start, as for a claimed row.
   */
  claimWaiting(
    limits: ReadonlyMap<string, number>,
    startNow?: ReadonlyMap<string, number>,
    startedAt?: number,
  ): Promise<ClaimedJob[]>;

  /**
   * Claims the given ids for run-manual. `manual` rows of a served target
   * become `accepted`; `manual` rows of another target become `ignored`;
   * rows in any other status are left untouched.
   *
   * `startNow` says, per served target, how many of its claimed rows (the
   * lowest ids) start at once: those go straight to `running` instead, with
   * `time_started` = `startedAt` and the attempt counted, in the same
   * transaction, as `claimWaiting` does, and come with `running: true`.
   *
   * `expectedTargets` gives, for ids whose target the caller named (the
   * master's run-manual), that target: a row of another target is left
   * untouched, whatever its status, with the error
   * `job N belongs to target 'T', not 'E'`.
   */
  claimManual(
    ids: readonly number[],
    servedTargets: ReadonlySet<string>,
    startNow?: ReadonlyMap<string, number>,
    startedAt?: number,
    expectedTargets?: ReadonlyMap<number, string>,
  ): Promise<ManualClaim>;

  /**
   * `accepted` -> `running` with `time_started` = startedAt, for each id (one
   * statement where possible). Returns the ids whose row was not `accepted`
   * (left untouched). A row already `running` since `startedAt` (and owned by
   * this worker, when tracked) counts as marked: that is the same call again
   * after its reply was lost.
   */
  markRunning(ids: readonly number[], startedAt: number): Promise<number[]>;

  /**
   * `running` -> `done` with result, return_code, sig, stdout, stderr and
   * `time_finished`, for each job (one statement or transaction where
   * possible). Returns the ids whose row was not `running` (left untouched).
   * A row already `done` with the `time_finished`, `result`, `return_code`
   * and `sig` given (and owned by this worker, when tracked) counts as
   * written: that is the same call again after its reply was lost.
   * A job with `retryAt` goes to `delayed` instead, with `time_run_at` =
   * `retryAt`, recognised again the same way.
   */
  markDone(jobs: readonly FinishedJob[]): Promise<number[]>;

  /**
   * `markRunning(starting, startedAt)` and `markDone(done)` in one commit
   * (one statement where possible), each row guarded and recognised again
   * after a lost reply as those two do: a slot's result goes with the
   * `running` mark of the job that starts next in it. `done` has no job with
   * `retryAt`. Returns the ids of `starting` whose row was not `accepted`
   * and of `done` whose row was not `running` (left untouched).
   */
  markRunningAndDone(
    starting: readonly number[],
    startedAt: number,
    done: readonly FinishedJob[],
  ): Promise<StartedAndDone>;

  /**
   * Gives rows back: `from` (default `accepted`, unstarted jobs) -> each job's
   * origin, and, when the table tracks owners, `worker` = NULL. `running` is
   * used by start-up recovery with `recover_running = requeue`; `marked` (rows
   * `running`, their attempt given back) for jobs marked whose launcher never
   * started: a claim's marked jobs that cannot start here (shutdown, target
   * removed, a claim in doubt), a start that shutdown cut short. Returns the
   * ids whose row was not in `from` (`running` for `marked`; left untouched).
   */
  release(jobs: readonly ClaimedJob[], from?: ReleaseFrom): Promise<number[]>;

  /**
   * Rows in `accepted` or `running` owned by this worker (empty when not
   * tracked); a `running` row with its `time_started` as `startedAt`.
   */
  findLeftBehind(): Promise<LeftBehindJob[]>;

  /**
   * Whether the database answers (the health check): resolves when one cheap read of the table
   * succeeds, throws a `StorageError` otherwise. Not retried through an outage.
   */
  ping(): Promise<void>;

  /** The operators' requests on the table; absent on stores made for tests. */
  readonly control?: JobControl;

  /** Closes connections. */
  close(): Promise<void>;
}
