/**
 * What every `JobStore` does the same way whatever the database: it checks
 * the arguments of each operation, refuses work once closed, and turns a
 * failure into a `StorageError` that names the operation, the jobs and the
 * table. A store supplies the SQL operations (one module each, under
 * `mysql/` or `sqlite/`) and how to run them, retry and describe their
 * errors.
 */

import { describeJobs, describeTargets } from "../text.ts";
import { type ControlOperations, StoreControl } from "./control_base.ts";
import { StorageError } from "./errors.ts";
import type { ClaimedJob } from "../job.ts";
import type { JobControl } from "./job_control.ts";
import type {
  DelayedSummary,
  FinishedJob,
  JobStore,
  LeftBehindJob,
  ManualClaim,
  ReleaseFrom,
  StartedAndDone,
} from "./job_store.ts";
import { type TimeColumnsFound, type TimeFeatures, timeFeatures } from "./time_columns.ts";

/** A value, or a promise of it: SQLite's operations are synchronous, MySQL's are not. */
export type MaybePromise<T> = T | Promise<T>;

/** What the shared part of a store reads from a store's context. */
export interface StoreContext {
  /** Written to the `worker` column of claimed rows when `tracksOwner`. */
  readonly workerName: string;
  /** Whether the table has the optional `worker` column. */
  readonly tracksOwner: boolean;
  /** The optional time columns of the table. */
  readonly time: TimeColumnsFound;
}

/**
 * The SQL operations of one database, each a function of the store's
 * context, called with arguments already checked.
 */
export interface StoreOperations<C> {
  /** `startNow`: only targets of `limits`, each with a count from 1 to its limit. */
  claimWaiting(
    context: C,
    limits: ReadonlyMap<string, number>,
    startNow: ReadonlyMap<string, number>,
    startedAt: number,
  ): MaybePromise<ClaimedJob[]>;
  /** `startNow`: only served targets, each with a count ≥ 1. */
  claimManual(
    context: C,
    ids: readonly number[],
    servedTargets: ReadonlySet<string>,
    startNow: ReadonlyMap<string, number>,
    startedAt: number,
    expectedTargets: ReadonlyMap<number, string>,
  ): MaybePromise<ManualClaim>;
  markRunning(context: C, ids: readonly number[], startedAt: number): MaybePromise<number[]>;
  markDone(context: C, jobs: readonly FinishedJob[]): MaybePromise<number[]>;
  /** Both lists non-empty, `done` without `retryAt`. */
  markRunningAndDone(
    context: C,
    starting: readonly number[],
    startedAt: number,
    done: readonly FinishedJob[],
  ): MaybePromise<StartedAndDone>;
  releaseJobs(context: C, jobs: readonly ClaimedJob[], from: ReleaseFrom): MaybePromise<number[]>;
  findLeftBehind(context: C): MaybePromise<LeftBehindJob[]>;
  /** `running` -> `delayed` with each job's `retryAt` as `time_run_at`; see `markDone`. */
  markRetry(context: C, jobs: readonly FinishedJob[]): MaybePromise<number[]>;
  promoteDelayed(
    context: C,
    targets: readonly string[],
    now: number,
    limit: number,
  ): MaybePromise<number>;
  countDelayed(context: C, targets: readonly string[]): MaybePromise<Map<string, DelayedSummary>>;
  /** One cheap read of the table; throws when the database does not answer. */
  ping(context: C): MaybePromise<void>;
}

/** Where a store's table is, for messages. */
export interface StoreLocation {
  /** The table name as configured. */
  tableName: string;
  /** What holds the table: `database 'jobd'`, `SQLite file '/var/lib/jobd/jobs.db'`. */
  container: string;
}

/**
 * The operations of `JobStore` with their argument checks and error
 * wrapping. Subclasses say how an operation runs (`attempt`), what its
 * errors mean (`describeError`) and how the connections close
 * (`closeConnections`).
 */
export abstract class JobStoreBase<C extends StoreContext> implements JobStore, AsyncDisposable {
  readonly #context: C;
  readonly #operations: StoreOperations<C>;
  readonly #where: string;
  #closed = false;

  /** Whether rows record their owner (the table has a `worker` column). */
  readonly tracksOwner: boolean;
  /** See `JobStore.timeColumns`. */
  readonly timeColumns: TimeColumnsFound;
  /** See `JobStore.timeFeatures`. */
  readonly timeFeatures: TimeFeatures;

  /**
   * The operators' requests on the table (`jobs`, `job`, `stats`, `retry`,
   * `add`); undefined for a store made without them (the in-memory store of
   * the tests), whose worker refuses those requests.
   */
  readonly control: JobControl | undefined;

  /**
   * `operations` and `control` (the operators' SQL operations) get
   * `context`; `location` names the table in errors.
   */
  constructor(
    context: C,
    operations: StoreOperations<C>,
    location: StoreLocation,
    control?: ControlOperations<C>,
  ) {
    this.#context = context;
    this.#operations = operations;
    this.#where = `in table '${location.tableName}' of ${location.container}`;
    this.tracksOwner = context.tracksOwner;
    this.timeColumns = context.time;
    this.timeFeatures = timeFeatures(context.time);
    this.control = control &&
      new StoreControl((what, operation) => this.#run(what, operation), control);
  }

  /**
   * See `JobStore.claimWaiting`. Throws for a limit that is not an integer
   * ≥ 1, a `startNow` count that is not an integer from 0 to its target's
   * limit (or names a target not in `limits`), and a `startedAt` that is not
   * a whole number ≥ 0 when some job starts now; no targets claims nothing.
   */
  claimWaiting(
    limits: ReadonlyMap<string, number>,
    startNow: ReadonlyMap<string, number> = new Map(),
    startedAt = 0,
  ): Promise<ClaimedJob[]> {
    if (limits.size === 0) return Promise.resolve([]);
    const what = `claim waiting jobs of ${describeTargets([...limits.keys()])}`;
    for (const [target, limit] of limits) {
      if (!Number.isInteger(limit) || limit < 1) {
        return this.#refuse(
          what,
          `the limit of target '${target}' must be an integer of at least 1, got ${limit}`,
        );
      }
    }
    const starting = new Map<string, number>();
    for (const [target, count] of startNow) {
      const limit = limits.get(target);
      if (limit === undefined) {
        return this.#refuse(what, `target '${target}' has jobs to start but no limit`);
      }
      if (!Number.isInteger(count) || count < 0 || count > limit) {
        return this.#refuse(
          what,
          `the jobs of target '${target}' to start now must be an integer from 0 to its ` +
            `limit ${limit}, got ${count}`,
        );
      }
      if (count > 0) starting.set(target, count);
    }
    if (starting.size > 0 && (!Number.isSafeInteger(startedAt) || startedAt < 0)) {
      return this.#refuse(what, `the start time must be a whole number ≥ 0, got ${startedAt}`);
    }
    return this.#run(
      what,
      (context) => this.#operations.claimWaiting(context, limits, starting, startedAt),
    );
  }

  /**
   * See `JobStore.claimManual`. Throws for an empty list or ids that are not
   * positive integers, a `startNow` count that is not an integer ≥ 0 (or
   * names a target not served), and a `startedAt` that is not a whole number
   * ≥ 0 when some job starts now; duplicate ids count once.
   */
  claimManual(
    ids: readonly number[],
    servedTargets: ReadonlySet<string>,
    startNow: ReadonlyMap<string, number> = new Map(),
    startedAt = 0,
    expectedTargets: ReadonlyMap<number, string> = new Map(),
  ): Promise<ManualClaim> {
    if (ids.length === 0) return this.#refuse("claim manual jobs", "no job ids given");
    const what = `claim manual ${describeJobs(ids)}`;
    const invalid = ids.find((id) => !Number.isSafeInteger(id) || id < 1);
    if (invalid !== undefined) {
      return this.#refuse(what, `job ids must be positive integers, got ${invalid}`);
    }
    const starting = new Map<string, number>();
    for (const [target, count] of startNow) {
      if (!servedTargets.has(target)) {
        return this.#refuse(what, `target '${target}' has jobs to start but is not served`);
      }
      if (!Number.isSafeInteger(count) || count < 0) {
        return this.#refuse(
          what,
          `the jobs of target '${target}' to start now must be an integer ≥ 0, got ${count}`,
        );
      }
      if (count > 0) starting.set(target, count);
    }
    if (starting.size > 0 && (!Number.isSafeInteger(startedAt) || startedAt < 0)) {
      return this.#refuse(what, `the start time must be a whole number ≥ 0, got ${startedAt}`);
    }
    return this.#run(
      what,
      (context) =>
        this.#operations.claimManual(
          context,
          ids,
          servedTargets,
          starting,
          startedAt,
          expectedTargets,
        ),
    );
  }

  /** See `JobStore.markRunning`. */
  markRunning(ids: readonly number[], startedAt: number): Promise<number[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#run(
      `mark ${describeJobs(ids)} running`,
      (context) => this.#operations.markRunning(context, ids, startedAt),
    );
  }

  /**
   * See `JobStore.markDone`. Jobs with `retryAt` go to `delayed` (in a
   * statement of their own); that needs `timeFeatures.retries`.
   */
  async markDone(jobs: readonly FinishedJob[]): Promise<number[]> {
    const ids = jobs.map((job) => job.id);
    const what = `mark ${describeJobs(ids)} done`;
    const retried = jobs.filter((job) => job.retryAt !== undefined);
    const done = retried.length === 0 ? jobs : jobs.filter((job) => job.retryAt === undefined);
    if (retried.length > 0 && !this.timeFeatures.retries) {
      return this.#refuse(what, "the table has no columns for retries");
    }
    const bad = retried.find((job) => !Number.isSafeInteger(job.retryAt) || job.retryAt! < 0);
    if (bad !== undefined) {
      return this.#refuse(what, `the retry time of job ${bad.id} is invalid: ${bad.retryAt}`);
    }
    const untouched = done.length === 0
      ? []
      : await this.#run(what, (context) => this.#operations.markDone(context, done));
    if (retried.length === 0) return untouched;
    const retryIds = retried.map((job) => job.id);
    return [
      ...untouched,
      ...await this.#run(
        `mark ${describeJobs(retryIds)} delayed for a retry`,
        (context) => this.#operations.markRetry(context, retried),
      ),
    ];
  }

  /**
   * See `JobStore.markRunningAndDone`. A job with `retryAt` is refused; with
   * one list empty this is `markRunning` or `markDone` alone.
   */
  async markRunningAndDone(
    starting: readonly number[],
    startedAt: number,
    done: readonly FinishedJob[],
  ): Promise<StartedAndDone> {
    if (done.length === 0) {
      return { notAccepted: await this.markRunning(starting, startedAt), notRunning: [] };
    }
    if (starting.length === 0) return { notAccepted: [], notRunning: await this.markDone(done) };
    const doneIds = done.map((job) => job.id);
    const what = `mark ${describeJobs(starting)} running and ${describeJobs(doneIds)} done`;
    const retried = done.find((job) => job.retryAt !== undefined);
    if (retried !== undefined) {
      return this.#refuse(what, `job ${retried.id} is to be retried: write it with markDone`);
    }
    return await this.#run(
      what,
      (context) => this.#operations.markRunningAndDone(context, starting, startedAt, done),
    );
  }

  /** See `JobStore.promoteDelayed`. */
  promoteDelayed(targets: readonly string[], now: number, limit: number): Promise<number> {
    if (targets.length === 0 || !this.timeFeatures.deferred) return Promise.resolve(0);
    return this.#run(
      `promote due delayed jobs of ${describeTargets(targets)}`,
      (context) => this.#operations.promoteDelayed(context, targets, now, limit),
    );
  }

  /** See `JobStore.countDelayed`. */
  countDelayed(targets: readonly string[]): Promise<Map<string, DelayedSummary>> {
    if (targets.length === 0 || !this.timeFeatures.deferred) return Promise.resolve(new Map());
    return this.#run(
      `count delayed jobs of ${describeTargets(targets)}`,
      (context) => this.#operations.countDelayed(context, targets),
    );
  }

  /** See `JobStore.release`. All rows are written in one transaction; the owner is cleared. */
  release(jobs: readonly ClaimedJob[], from: ReleaseFrom = "accepted"): Promise<number[]> {
    const ids = jobs.map((job) => job.id);
    return this.#run(
      `release ${describeJobs(ids)}`,
      (context) => this.#operations.releaseJobs(context, jobs, from),
    );
  }

  /** See `JobStore.findLeftBehind`. */
  findLeftBehind(): Promise<LeftBehindJob[]> {
    return this.#run(
      `find jobs left behind by worker '${this.#context.workerName}'`,
      (context) => this.#operations.findLeftBehind(context),
    );
  }

  /** See `JobStore.ping`. */
  ping(): Promise<void> {
    return this.#run("reach the jobs", (context) => this.#operations.ping(context));
  }

  /** Closes the store's connections. Later calls do nothing; later operations throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeConnections();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Runs `operation`, once or again while the database asks for a retry.
   * `operation` throws a `StorageError` when the store closed meanwhile.
   */
  protected abstract attempt<T>(operation: () => MaybePromise<T>): Promise<T>;

  /** The readable part of an error an operation failed with. */
  protected abstract describeError(error: unknown): string;

  /** Closes the connections; called once, by the first `close()`. */
  protected abstract closeConnections(): MaybePromise<void>;

  async #run<T>(what: string, operation: (context: C) => MaybePromise<T>): Promise<T> {
    if (this.#closed) return this.#refuse(what, "the store is closed");
    try {
      return await this.attempt(() => {
        // Checked again on each attempt: the store may close while one waits.
        if (this.#closed) throw new StorageError("the store is closed");
        return operation(this.#context);
      });
    } catch (error) {
      // A StorageError from inside is the store's own (closed meanwhile), not the driver's.
      throw new StorageError(`Cannot ${what} ${this.#where}: ${this.describeError(error)}`, {
        cause: error instanceof StorageError ? undefined : error,
      });
    }
  }

  #refuse(what: string, reason: string): Promise<never> {
    return Promise.reject(new StorageError(`Cannot ${what} ${this.#where}: ${reason}`));
  }
}
