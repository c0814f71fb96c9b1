/** Checks the jobs table at open: does it exist, has it the columns jobd uses, and the optional one. */

import { StorageError } from "../errors.ts";
import { checkRequiredColumns, checkStatusValues, OWNER_COLUMN } from "../required_columns.ts";
import type { SqliteConnection } from "./connection.ts";

/** The schema file applications create the table with, named in errors. */
export const SQLITE_SCHEMA_FILE = "examples/schema.sqlite.sql";

/** What the store needs to know about the table. */
export interface TableShape {
  /** The `worker` column exists. */
  tracksOwner: boolean;
}

/**
 * Reads the columns of `tableName` (`pragma_table_info`). Throws a
 * `StorageError` naming the table and the file (`where`, such as
 * `table 'jobs' of SQLite file '/var/lib/jobd/jobs.db'`) when the table does
 * not exist, lacks a required column, or has a `CHECK ("status" IN (...))`
 * without a status jobd writes.
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
  const values = statusCheckValues(connection, options.tableName);
  if (values !== undefined) {
    checkStatusValues({ values, type: `TEXT CHECK IN (${values.join(", ")})` }, options.where);
  }
  return { tracksOwner: columns.has(OWNER_COLUMN) };
}

/**
 * The values a `CHECK (status IN ('a', 'b', ...))` in the table's definition
 * allows, or undefined when it has no such constraint (SQLite does not say
 * which values other kinds of constraint allow; a write they refuse fails
 * with a message naming the constraint).
 */
function statusCheckValues(connection: SqliteConnection, tableName: string): string[] | undefined {
  const row = connection.get(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
    tableName,
  );
  const check = /CHECK\s*\(\s*["`[]?status["`\]]?\s+IN\s*\(([^)]*)\)/i.exec(String(row?.sql ?? ""));
  if (!check) return undefined;
  return [...check[1].matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1].replaceAll("''", "'"));
}
