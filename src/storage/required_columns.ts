/** The columns of the jobs table jobd relies on, checked by each store when it opens. */

import { StorageError } from "./errors.ts";
import { JOB_STATUSES, type JobStatus } from "../job.ts";

/** The columns of a job's life, which the worker writes as it claims, runs and ends a job. */
export const LIFE_COLUMNS: readonly string[] = [
  "status",
  "time_started",
  "time_finished",
  "result",
  "return_code",
  "sig",
  "stdout",
  "stderr",
];

/**
 * The columns jobd reads or writes (README.md, "The jobs table"). `time_created`
 * is the application's.
 */
export const REQUIRED_COLUMNS: readonly string[] = ["id", "target", ...LIFE_COLUMNS];

/** The optional column naming the worker that claimed a row. */
export const OWNER_COLUMN = "worker";

/** The optional column of deferred jobs: when a `delayed` row may start (unix seconds). */
export const RUN_AT_COLUMN = "time_run_at";

/** The optional column counting a row's attempts (retries). */
export const ATTEMPTS_COLUMN = "attempts";

/**
 * The columns (lower case) an application may not give a value when it has
 * jobd insert a row (`add --set`, a schedule's `set.COLUMN`): jobd writes
 * them itself. The id, target, status and creation time come from the
 * request or the schedule, `time_run_at` from the run time asked for, the
 * rest from the job's life.
 */
export const JOBD_WRITTEN_COLUMNS: ReadonlySet<string> = new Set([
  ...REQUIRED_COLUMNS,
  "time_created",
  OWNER_COLUMN,
  ATTEMPTS_COLUMN,
  RUN_AT_COLUMN,
]);

/**
 * Throws a `StorageError` listing the required columns missing from
 * `columns` (the table's column names, lower case), for the table `where`
 * names (`table 'jobs' of database 'jobd'`).
 */
export function checkRequiredColumns(
  columns: { has(name: string): boolean },
  where: string,
): void {
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.has(name));
  if (missing.length === 0) return;
  const list = missing.map((name) => `'${name}'`).join(", ");
  throw new StorageError(
    `Cannot use the ${where}: it has no column${missing.length > 1 ? "s" : ""} ${list}`,
  );
}

/**
 * The statuses every jobs table's `status` column must hold (README.md, "The
 * jobs table"): the ones jobd writes whatever the config. Today that is every
 * status of `JOB_STATUSES`; a status added later that only an optional
 * feature writes belongs in `JOB_STATUSES` but not here, so that older
 * tables still open.
 */
export const STATUSES_EVERY_TABLE_HOLDS: readonly JobStatus[] = [
  JOB_STATUSES.waiting,
  JOB_STATUSES.manual,
  JOB_STATUSES.accepted,
  JOB_STATUSES.running,
  JOB_STATUSES.done,
  JOB_STATUSES.ignored,
];

/**
 * The values jobd writes into its enumerated columns that every table must
 * hold: the statuses above, and both results.
 */
const WRITTEN_VALUES = {
  status: STATUSES_EVERY_TABLE_HOLDS,
  result: ["ok", "fail"],
} as const;

/** What a store knows of the values a `status` or `result` column holds. */
export interface ValuesColumn {
  /** The values of an ENUM (MySQL) or of a `CHECK (column IN (...))` (SQLite). */
  values?: readonly string[];
  /** Longest value in characters, for a text column with a limit. */
  maxLength?: number;
  /** The column's type as the database shows it, for messages. */
  type: string;
}

/**
 * Throws a `StorageError` naming the values jobd writes that the column
 * `name` (`status` or `result`) of the table `where` names cannot hold:
 * values missing from its ENUM or CHECK list, or a text column shorter than
 * the longest of them.
 */
export function checkColumnValues(
  name: keyof typeof WRITTEN_VALUES,
  column: ValuesColumn,
  where: string,
): void {
  const written = WRITTEN_VALUES[name];
  const missing = column.values === undefined
    ? written.filter((value) => column.maxLength !== undefined && value.length > column.maxLength)
    : written.filter((value) => !column.values!.includes(value));
  if (missing.length === 0) return;
  const noun = missing.length === 1 ? name : `${name}${name.endsWith("s") ? "es" : "s"}`;
  throw new StorageError(
    `Cannot use the ${where}: its column '${name}' (${column.type}) cannot hold the ${noun} ` +
      `${missing.map((value) => `'${value}'`).join(", ")} that jobd writes`,
  );
}
