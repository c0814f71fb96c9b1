/** The columns of the jobs table jobd relies on, checked by each store when it opens. */

import { StorageError } from "./errors.ts";
import { JOB_STATUSES } from "../job.ts";

/** The columns jobd reads or writes (SPEC A4). `time_created` is the application's. */
export const REQUIRED_COLUMNS: readonly string[] = [
  "id",
  "target",
  "status",
  "time_started",
  "time_finished",
  "result",
  "return_code",
  "sig",
  "stdout",
  "stderr",
];

/** The optional column naming the worker that claimed a row. */
export const OWNER_COLUMN = "worker";

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

/** Every status jobd reads or writes (SPEC A4): a `status` column must hold each one. */
const WRITTEN_STATUSES: readonly string[] = Object.values(JOB_STATUSES);

/** What a store knows of the `status` column's values. */
export interface StatusColumn {
  /** The values of an ENUM (MySQL) or of a `CHECK (status IN (...))` (SQLite). */
  values?: readonly string[];
  /** Longest value in characters, for a text column with a limit. */
  maxLength?: number;
  /** The column's type as the database shows it, for messages. */
  type: string;
}

/**
 * Throws a `StorageError` naming the statuses the `status` column of the
 * table `where` names cannot hold: values missing from its ENUM or CHECK
 * list, or a text column shorter than the longest status.
 */
export function checkStatusValues(column: StatusColumn, where: string): void {
  const missing = column.values === undefined
    ? WRITTEN_STATUSES.filter((status) =>
      column.maxLength !== undefined && status.length > column.maxLength
    )
    : WRITTEN_STATUSES.filter((status) => !column.values!.includes(status));
  if (missing.length === 0) return;
  throw new StorageError(
    `Cannot use the ${where}: its column 'status' (${column.type}) cannot hold the ` +
      `status${missing.length > 1 ? "es" : ""} ${
        missing.map((status) => `'${status}'`).join(", ")
      } that jobd writes`,
  );
}
