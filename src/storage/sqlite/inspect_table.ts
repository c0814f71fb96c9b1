/** Checks the jobs table at open: does it exist, has it the columns jobd uses, and the optional one. */

import { StorageError } from "../errors.ts";
import { checkColumnValues, checkRequiredColumns, OWNER_COLUMN } from "../required_columns.ts";
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
 * not exist, lacks a required column, or has a `CHECK ("status" IN (...))`
 * without a status jobd writes (or a `result` one without `ok` or `fail`).
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
  const allowed = new Map<string, string[] | undefined>();
  for (const name of ["status", "result"] as const) {
    const values = checkedValues(connection, options.tableName, name);
    allowed.set(name, values);
    if (values === undefined) continue;
    checkColumnValues(name, { values, type: `CHECK IN (${values.join(", ")})` }, options.where);
  }
  // A CHECK on the status (schema.sqlite.sql) must list 'delayed'; without one any status goes.
  const statusValues = allowed.get("status");
  const time: TimeColumnsFound = {
    columns: new Set(TIME_COLUMNS.filter((name) => columns.has(name))),
    delayedStatus: statusValues === undefined || statusValues.includes(DELAYED_STATUS),
  };
  return { tracksOwner: columns.has(OWNER_COLUMN), time };
}

/**
 * The values a `CHECK (column IN ('a', 'b', ...))` in the table's definition
 * allows, or undefined when it has no such constraint (SQLite does not say
 * which values other kinds of constraint allow; a write they refuse fails
 * with a message naming the constraint).
 */
function checkedValues(
  connection: SqliteConnection,
  tableName: string,
  column: string,
): string[] | undefined {
  const row = connection.get(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
    tableName,
  );
  const check = new RegExp(
    `CHECK\\s*\\(\\s*["\x60[]?${column}["\x60\\]]?\\s+IN\\s*\\(([^)]*)\\)`,
    "i",
  )
    .exec(String(row?.sql ?? ""));
  if (!check) return undefined;
  return [...check[1].matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1].replaceAll("''", "'"));
}
