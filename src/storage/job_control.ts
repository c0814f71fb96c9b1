/**
 * The operators' seam of a store (`jobs`, `job`, `stats`, `retry`, `add`): list
 * rows, read one, count them per target, put final rows back to `waiting`,
 * insert rows. Both stores implement it (one SQL operation per module under
 * `mysql/` and `sqlite/`, the shared checks in `control_base.ts`), and both
 * pass the `control_*` modules of `tests/storage_conformance/`. The worker
 * serves it as the requests `jobs`, `job`, `stats`, `retry` and `add`.
 *
 * These are the only operations that insert rows; they never claim, start
 * or end one.
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

/** The outcome of `retryJobs`. */
export interface RetryOutcome {
  /** Rows now `waiting`, with their targets, by id. */
  retried: { id: number; target: string }[];
  /** Why each other id was not retried: `job N not found`, `status = S is not final`. */
  errors: Map<number, string>;
}

/** The operators' requests on the jobs table. */
export interface JobControl {
  /** Rows by target and status, highest id first, at most `query.limit`. */
  listJobs(query: JobsQuery): Promise<JobSummary[]>;

  /** Every column of row `id` (long texts cut), or undefined when there is none. */
  getJob(id: number): Promise<JobResult | undefined>;

  /**
   * Per target: rows in each unfinished status, rows that became `done` in
   * the hour and the day before `now` (unix seconds) by result, and the age
   * of the oldest `waiting` row.
   */
  countJobs(now: number): Promise<Record<string, TargetStats>>;

  /**
   * The `waiting` rows of each of `targets` that has some, by the name the
   * rows spell (read through the `(status, target, id)` index alone).
   */
  countWaiting(targets: readonly string[]): Promise<Record<string, number>>;

  /**
   * Final rows (`done`, `ignored`) back to `waiting`, in one transaction:
   * result, code, signal, output, times and (when the columns exist) owner
   * and `attempts` cleared. Each UPDATE is guarded by the final statuses.
   */
  retryJobs(ids: readonly number[]): Promise<RetryOutcome>;

  /**
   * Inserts `request.count` rows of `request.target`, `waiting`, or `delayed`
   * until `request.runAt` when that is after `now` (needs the column
   * `time_run_at`), with `time_created` = `now` and the values of
   * `request.values`, each checked against its column first.
   */
  addJobs(request: AddRequest, now: number): Promise<AddResult>;
}

/** What an operation needs to know about one column of the table. */
export interface TableColumn {
  /** As the table spells it. */
  name: string;
  /** `integer` (any INT type), `number` (other numeric), `text` (CHAR, TEXT...), `enum`, `other`. */
  kind: "integer" | "number" | "text" | "enum" | "other";
  /** Whether NULL may be stored. */
  nullable: boolean;
  /** Whether an INSERT may leave it out (a default, NULL, or an auto-increment). */
  optional: boolean;
  /** For `text`: the most characters it holds, when known. */
  maxLength?: number;
  /** For `integer`: whether it is UNSIGNED. */
  unsigned?: boolean;
  /** For `enum`: its values. */
  values?: string[];
}
