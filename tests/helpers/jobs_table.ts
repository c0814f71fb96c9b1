/**
 * A test's own jobs table, whatever the database holding it: what the store
 * fixtures and the worker tests need from `openTestDatabase` (MySQL,
 * `database.ts`) and `openTestSqliteDatabase` (SQLite, `sqlite_database.ts`).
 */

import type { JobStatus } from "../../src/job.ts";

/** A row of the jobs table as the tests read it. */
export interface JobRow {
  id: number;
  target: string;
  status: JobStatus;
  time_started: number;
  time_finished: number;
  result: "ok" | "fail" | null;
  return_code: number | null;
  sig: string | null;
  stdout: string | null;
  stderr: string | null;
  /** The owner column; null when the row has no owner or the table has no such column. */
  worker: string | null;
}

/** A jobs table of its own for one test; disposing removes it. */
export interface TestJobsTable extends AsyncDisposable {
  /** The jobs table's name. */
  readonly table: string;
  /** Whether the table has the `worker` column. */
  readonly withWorkerColumn: boolean;
  /** The keys of a worker config (`jobd.conf`) that point a worker at this table. */
  workerStorageConfig(): Record<string, string | number>;
  /** Inserts `count` rows for `target` in status `status`; returns their ids, ascending. */
  insertJobs(target: string, count: number, status?: JobStatus): Promise<number[]>;
  /** The rows with the given ids (all rows when omitted), by id. */
  rows(ids?: readonly number[]): Promise<JobRow[]>;
  /** Sets columns of the rows `ids` as an application would (any column, such as `time_run_at`). */
  setColumns(ids: readonly number[], values: Record<string, ColumnValue>): Promise<void>;
  /** The values of `columns` of the rows `ids`, by id. */
  readColumns(
    ids: readonly number[],
    columns: readonly string[],
  ): Promise<Record<string, unknown>[]>;
}

/** A value an application writes to a column. */
export type ColumnValue = string | number | null;

/** `a = ?, b = ?` for the columns of `values`, and the values in that order. */
export function assignments(
  values: Record<string, ColumnValue>,
): { sql: string; params: ColumnValue[] } {
  const names = Object.keys(values);
  if (names.some((name) => !/^[a-z_]+$/.test(name))) throw new Error("bad column name");
  return { sql: names.map((name) => `${name} = ?`).join(", "), params: Object.values(values) };
}

/** The column list of a SELECT that reads `JobRow`s. */
export function jobRowColumns(withWorkerColumn: boolean): string {
  return "id, target, status, time_started, time_finished, result, return_code, sig, " +
    `stdout, stderr${withWorkerColumn ? ", worker" : ""}`;
}

/** A row as the driver returned it, as a `JobRow`. */
export function toJobRow(row: Record<string, unknown>): JobRow {
  return {
    id: Number(row.id),
    target: String(row.target),
    status: row.status as JobStatus,
    time_started: Number(row.time_started),
    time_finished: Number(row.time_finished),
    result: row.result as JobRow["result"],
    return_code: row.return_code === null ? null : Number(row.return_code),
    sig: row.sig as string | null,
    stdout: row.stdout as string | null,
    stderr: row.stderr as string | null,
    worker: (row.worker ?? null) as string | null,
  };
}
