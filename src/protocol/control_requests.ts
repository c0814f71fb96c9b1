/**
 * The requests that read and change the jobs table through a worker:
 * `jobs`, `job`, `stats`, `retry` and `add`, with
 * their data shapes and bounds. Worker and master take the same data; the
 * master routes each request to a worker (src/master/control_routing.ts).
 *
 * @module
 */

import { JOB_STATUSES, type JobStatus } from "../job.ts";
import type { RequestData } from "./messages.ts";

/** Request type names, the same on the worker and the master. */
export const ControlRequest = {
  Jobs: "jobs",
  Job: "job",
  Stats: "stats",
  Retry: "retry",
  Add: "add",
} as const;

/**
 * The refusal of `job` for an id the table has no row of: the answer, the
 * same from every worker of the table (the master asks no other worker).
 */
export function jobNotFound(id: number): string {
  return `job ${id} not found`;
}

/** Rows `jobs` answers when the request gives no `limit`. */
export const DEFAULT_JOBS_LIMIT = 20;

/** Most rows one `jobs` request answers. */
export const MAX_JOBS_LIMIT = 1000;

/** Most ids one `retry` request names. */
export const MAX_RETRY_IDS = 1000;

/** Most rows one `add` request inserts. */
export const MAX_ADD_COUNT = 1000;

/** Most columns one `add` request sets. */
export const MAX_ADD_COLUMNS = 64;

/** Longest text value (in characters) `add` accepts for one column. */
export const MAX_ADD_VALUE_LENGTH = 65_535;

/**
 * Longest text (in characters) `job` answers for one column, `stdout` and
 * `stderr` among them; longer values are cut and named in `truncated`.
 */
export const MAX_SHOWN_TEXT = 1_048_576;

/** A status `jobs` may filter by: any of a row's, `delayed` (deferred jobs) among them. */
export type QueryStatus = JobStatus | "delayed";

/** Every `QueryStatus`, in the order of a job's life. */
export const QUERY_STATUSES: readonly QueryStatus[] = [
  ...new Set<QueryStatus>(["waiting", "delayed", ...Object.values(JOB_STATUSES)]),
];

/** A result `jobs` may filter by (the `result` column of a `done` row). */
export type QueryResult = "ok" | "fail";

/** Every `QueryResult`. */
export const QUERY_RESULTS: readonly QueryResult[] = ["ok", "fail"];

/** `jobs` data: which rows, newest (highest id) first. */
export interface JobsQuery {
  target?: string;
  status?: QueryStatus;
  result?: QueryResult;
  /** 1 to `MAX_JOBS_LIMIT`; `DEFAULT_JOBS_LIMIT` when absent. */
  limit: number;
}

/** One row as `jobs` lists it. Times are unix seconds, 0 when not yet. */
export interface JobSummary {
  id: number;
  target: string;
  status: string;
  result: "ok" | "fail" | null;
  code: number | null;
  signal: string | null;
  /** `time_created`; null when the table has no such column. */
  created: number | null;
  started: number;
  finished: number;
}

/** The `jobs` response. */
export interface JobsResult {
  jobs: JobSummary[];
}

/** A column value as the protocol carries it. */
export type ColumnValue = string | number | null;

/** The `job` response: every column of the row. */
export interface JobResult {
  job: Record<string, ColumnValue>;
  /** Columns whose text was cut to `MAX_SHOWN_TEXT` characters. */
  truncated?: string[];
}

/** Finished jobs of one result, over two periods. */
export interface DoneCounts {
  ok: number;
  fail: number;
}

/** One target in `stats`. */
export interface TargetStats {
  waiting: number;
  delayed: number;
  manual: number;
  accepted: number;
  running: number;
  /** Rows that became `done` in the last hour (`time_finished`). */
  lastHour: DoneCounts;
  /** Rows that became `done` in the last 24 hours. */
  lastDay: DoneCounts;
  /**
   * Rows of `lastHour.fail` and `lastDay.fail` that were stopped at their time
   * limit (their stderr ends with jobd's `[jobd: timed out after N s]`).
   */
  timedOut: { lastHour: number; lastDay: number };
  /**
   * `waiting` and `delayed` rows that ran before (`attempts` > 0): failed
   * attempts waiting for their retry. Null when the table has no `attempts`.
   */
  retrying: number | null;
  /** Seconds since the oldest `waiting` row was created; null when none waits. */
  oldestWaitingAge: number | null;
}

/** The `stats` response: every target that has rows (the busiest, past the bounds), by name. */
export interface StatsResult {
  targets: Record<string, TargetStats>;
  /** The time the counts were taken, unix seconds. */
  time: number;
  /**
   * Targets with rows left out, past {@linkcode MAX_STATS_TARGETS} or
   * {@linkcode MAX_STATS_NAME_BYTES}; absent when none was.
   */
  omittedTargets?: number;
}

/**
 * The `stats` answer to `{only: "waiting"}` (jobctl's `list-targets`): the
 * `waiting` rows of the worker's own targets that have some, read through
 * the `(status, target, id)` index alone.
 */
export interface WaitingStatsResult {
  targets: Record<string, { waiting: number }>;
  /** The time the counts were taken, unix seconds. */
  time: number;
}

/** What a `stats` request may ask for alone: `waiting` counts only. */
export const STATS_ONLY = ["waiting"] as const;

/**
 * Most targets one `stats` answer lists: a table's targets are the
 * application's, and an answer of 100,000 of them (about 20 MiB) was over
 * the message limit, so no client could read it.
 */
export const MAX_STATS_TARGETS = 10_000;

/** Most bytes the target names of one `stats` answer may take (as JSON in UTF-8, at most). */
export const MAX_STATS_NAME_BYTES = 4 * 1024 * 1024;

/** Rows of a target not yet finished: `stats` keeps the targets with most of them. */
function unfinished(stats: TargetStats): number {
  return stats.waiting + stats.delayed + stats.manual + stats.accepted + stats.running;
}

/**
 * `targets` within {@linkcode MAX_STATS_TARGETS} and
 * {@linkcode MAX_STATS_NAME_BYTES}: those with the most unfinished rows, then
 * the most done in the last day, in their order in `targets`; how many were
 * left out.
 */
export function boundStatsTargets(
  targets: Readonly<Record<string, TargetStats>>,
): { targets: Record<string, TargetStats>; omittedTargets?: number } {
  const names = Object.keys(targets);
  const rank = new Map(names.map((name, index) => [name, index]));
  const busiest = names.toSorted((a, b) =>
    unfinished(targets[b]) - unfinished(targets[a]) ||
    targets[b].lastDay.ok + targets[b].lastDay.fail -
      (targets[a].lastDay.ok + targets[a].lastDay.fail) ||
    rank.get(a)! - rank.get(b)!
  );
  const kept = new Set<string>();
  let bytes = 0;
  for (const name of busiest) {
    // Three bytes per JSON character at most (escapes counted as written).
    bytes += 3 * JSON.stringify(name).length;
    if (kept.size >= MAX_STATS_TARGETS || bytes > MAX_STATS_NAME_BYTES) break;
    kept.add(name);
  }
  const bounded = Object.fromEntries(
    names.filter((name) => kept.has(name)).map((name) => [name, targets[name]]),
  );
  const omitted = names.length - kept.size;
  return omitted > 0 ? { targets: bounded, omittedTargets: omitted } : { targets: bounded };
}

/** The `retry` response. */
export interface RetryResult {
  /** Ids now `waiting` again. */
  retried: number[];
  /** The targets of the rows retried (polled by the worker, poked by the master). */
  targets: string[];
  /** Why each other id was not retried. */
  errors?: Record<string, string>;
}

/** `add` data. */
export interface AddRequest {
  target: string;
  /** Rows to insert, 1 to `MAX_ADD_COUNT`. */
  count: number;
  /** Unix seconds: the rows are `delayed` until then (needs `time_run_at` and `delayed`). */
  runAt?: number;
  /** Values of other columns, by column name. */
  values: Record<string, ColumnValue>;
}

/** The `add` response. */
export interface AddResult {
  /** The new rows' ids, ascending. */
  ids: number[];
  /** The status they were inserted with. */
  status: "waiting" | "delayed";
}

/** The wire data of an `add` request (the inverse of `readAddRequest`). */
export function addRequestData(request: AddRequest): RequestData {
  const data: RequestData = { target: request.target, count: request.count };
  if (request.runAt !== undefined) data.run_at = request.runAt;
  if (Object.keys(request.values).length > 0) data.set = { ...request.values };
  return data;
}
