/** Quoting of table names in the SQL text of the SQLite store. */

import { StorageError } from "../errors.ts";

/**
 * Quotes a table or column name as an SQLite identifier: wrapped in double
 * quotes, with each double quote inside doubled, so any name a user
 * configures is used as-is and never read as SQL. Throws for names SQLite
 * cannot hold (empty, NUL characters).
 */
export function quoteIdentifier(name: string): string {
  if (name === "" || name.includes("\0")) {
    throw new StorageError(
      `Invalid table name '${name}': SQLite names are not empty and hold no NUL character`,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}
