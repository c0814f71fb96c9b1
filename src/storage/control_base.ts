/**
 * `JobControl` for any store: the argument checks and the parts that do not
 * depend on the database (`control_values.ts`), over the SQL operations a
 * store supplies (`ControlOperations`, one module each under `mysql/` and
 * `sqlite/`). Operations run through the store's own runner, so they get its
 * retries, its error wrapping (`Cannot list jobs in table 'jobs' of ...`)
 * and its refusal once closed.
 *
 * The table's columns are read at each `add` and `retry` (one cheap query):
 * columns an operator adds while the worker runs are used at once.
 *
 * @module
 */

import type {
  AddRequest,
  AddResult,
  JobResult,
  JobsQuery,
  JobSummary,
  TargetStats,
} from "../protocol/control_requests.ts";
import { describeJobs } from "../text.ts";
import type { CountedColumns, StoreCounts } from "./control_sql.ts";
import {
  type InsertRow,
  insertRow,
  retryAssignments,
  shownRow,
  targetStats,
} from "./control_values.ts";
import type { JobControl, RetryOutcome, TableColumn } from "./job_control.ts";
import { ATTEMPTS_COLUMN } from "./required_columns.ts";
import type { MaybePromise } from "./store_base.ts";

/** One hour and one day, in seconds: the periods of `stats`' done counts. */
const HOUR = 3600;
const DAY = 86_400;

/** The SQL operations of one database, each a function of the store's context. */
export interface ControlOperations<C> {
  /** The table's columns, in table order. */
  readColumns(context: C): MaybePromise<TableColumn[]>;
  /** `jobs`; `created` is null when `hasCreated` is false. */
  listJobs(context: C, query: JobsQuery, hasCreated: boolean): MaybePromise<JobSummary[]>;
  /** Row `id` as the driver returns it, or undefined. */
  getJob(context: C, id: number): MaybePromise<Record<string, unknown> | undefined>;
  /** Counts of unfinished rows per target and status; done rows since `hourAgo` / `dayAgo`. */
  countJobs(
    context: C,
    since: { hourAgo: number; dayAgo: number },
    columns: CountedColumns,
  ): MaybePromise<StoreCounts>;
  /** The rows of {@linkcode countWaitingStatements}, each `{target, count}`. */
  countWaiting(context: C, targets: readonly string[]): MaybePromise<Record<string, unknown>[]>;
  /** In one transaction: reads the rows, refuses the unfinished, resets the final ones. */
  retryJobs(context: C, ids: readonly number[], assignments: string): MaybePromise<RetryOutcome>;
  /** Inserts `count` copies of `row` in one transaction; returns their ids, ascending. */
  insertJobs(context: C, row: InsertRow, count: number): MaybePromise<number[]>;
}

/**
 * `next(value)`, at once when `value` is there, else when it resolves. An
 * SQLite operation stays synchronous, as its store's busy retry needs it to.
 */
function chain<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

function hasColumn(columns: readonly TableColumn[], name: string): boolean {
  return columns.some((column) => column.name.toLowerCase() === name);
}

function hasCreated(columns: readonly TableColumn[]): boolean {
  return hasColumn(columns, "time_created");
}

/** Runs an operation with the store's retries and error wrapping; `what` names it in errors. */
export type StoreRunner<C> = <T>(
  what: string,
  operation: (context: C) => MaybePromise<T>,
) => Promise<T>;

/** `JobControl` over a store's runner and SQL operations. */
export class StoreControl<C> implements JobControl {
  readonly #run: StoreRunner<C>;
  readonly #operations: ControlOperations<C>;

  constructor(run: StoreRunner<C>, operations: ControlOperations<C>) {
    this.#run = run;
    this.#operations = operations;
  }

  /** See `JobControl.listJobs`. */
  listJobs(query: JobsQuery): Promise<JobSummary[]> {
    return this.#run("list jobs", (context) =>
      chain(
        this.#operations.readColumns(context),
        (columns) => this.#operations.listJobs(context, query, hasCreated(columns)),
      ));
  }

  /** See `JobControl.getJob`. */
  getJob(id: number): Promise<JobResult | undefined> {
    return this.#run(`read job ${id}`, (context) =>
      chain(
        this.#operations.getJob(context, id),
        (row) => row === undefined ? undefined : shownRow(row),
      ));
  }

  /** See `JobControl.countJobs`. */
  countJobs(now: number): Promise<Record<string, TargetStats>> {
    const since = { hourAgo: now - HOUR, dayAgo: now - DAY };
    return this.#run("count jobs", (context) =>
      chain(
        this.#operations.readColumns(context),
        (columns) =>
          chain(
            this.#operations.countJobs(context, since, {
              created: hasCreated(columns),
              attempts: hasColumn(columns, ATTEMPTS_COLUMN),
            }),
            (counts) =>
              targetStats(
                counts.statuses,
                counts.done,
                now,
                counts.timedOut,
                hasColumn(columns, ATTEMPTS_COLUMN),
              ),
          ),
      ));
  }

  /** See `JobControl.countWaiting`. */
  countWaiting(targets: readonly string[]): Promise<Record<string, number>> {
    if (targets.length === 0) return Promise.resolve({});
    return this.#run(
      "count waiting jobs",
      (context) =>
        chain(this.#operations.countWaiting(context, targets), (rows) => {
          const counts: Record<string, number> = {};
          for (const row of rows) {
            const target = String(row.target);
            counts[target] = (counts[target] ?? 0) + Number(row.count);
          }
          return counts;
        }),
    );
  }

  /** See `JobControl.retryJobs`. */
  retryJobs(ids: readonly number[]): Promise<RetryOutcome> {
    if (ids.length === 0) return Promise.resolve({ retried: [], errors: new Map() });
    return this.#run(`retry ${describeJobs(ids)}`, (context) =>
      chain(
        this.#operations.readColumns(context),
        (columns) => this.#operations.retryJobs(context, ids, retryAssignments(columns)),
      ));
  }

  /** See `JobControl.addJobs`. */
  addJobs(request: AddRequest, now: number): Promise<AddResult> {
    const what = `add ${request.count === 1 ? "a job" : `${request.count} jobs`} of target ` +
      `'${request.target}'`;
    return this.#run(what, (context) =>
      chain(this.#operations.readColumns(context), (columns) => {
        const row = insertRow(columns, request, now);
        return chain(
          this.#operations.insertJobs(context, row, request.count),
          (ids): AddResult => ({ ids, status: row.status }),
        );
      }));
  }
}
