/** Checks the jobs table at open: does it exist, has it the columns jobd uses, and the optional one. */

import { StorageError } from "../errors.ts";
import { checkRequiredColumns, OWNER_COLUMN } from "../required_columns.ts";
import { DELAYED_STATUS, TIME_COLUMNS, type TimeColumnsFound } from "../time_columns.ts";
import type { SqliteConnection } from "./connection.ts";

/** The schema file applications create the table with, named in errors. */
export const SQLITE_SCHEMA_FILE = "examples/schema.sqlite.sql";

/** What the store needs to know about the table. */
export interface TableShape {
  /** The `worker` column exists. */
  tracksOwner: boolean;
  /** The optional time columns, and whether `status` takes `delayed`. */
  time: TimeColumnsFound;
}

/**
 * Reads the columns of `tableName` (`pragma_table_info`). Throws a
 * `StorageError` naming the table and the file (`where`, such as
 * `table 'jobs' of SQLite file '/var/lib/jobd/jobs.db'`) when the table does
 * not exist or lacks a required column.
 */
export function inspectTable(
  connection: SqliteConnection,
  options: { tableName: string; where: string },
): TableShape {
  const rows = connection.all("SELECT name FROM pragma_table_info(?)", options.tableName);
  if (rows.length === 0) {
    throw new StorageError(
      `Cannot use the ${options.where}: it does not exist (create it with ${SQLITE_SCHEMA_FILE})`,
    );
  }
  const columns = new Set(rows.map((row) => String(row.name).toLowerCase()));
  checkRequiredColumns(columns, options.where);
  // A CHECK on the status (schema.sqlite.sql) must list 'delayed'; without one any status goes.
  const sql = String(
    connection.get(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
      options.tableName,
    )?.sql ?? "",
  );
  const time: TimeColumnsFound = {
    columns: new Set(TIME_COLUMNS.filter((name) => columns.has(name))),
    delayedStatus: !/check\s*\(\s*"?status"?\s+in/i.test(sql) ||
      sql.includes(`'${DELAYED_STATUS}'`),
  };
  return { tracksOwner: columns.has(OWNER_COLUMN), time };
}
