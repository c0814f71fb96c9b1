/** The columns of the jobs table jobd relies on, checked by each store when it opens. */

import { StorageError } from "./errors.ts";

/**
 * The columns jobd reads or writes (README.md, "The jobs table"). `time_created`
 * is the application's.
 */
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
