/** Quoting of table and column names in SQL text. */

import { StorageError } from "../errors.ts";

/**
 * Quotes a table or column name as a MySQL identifier: wrapped in backticks,
 * with each backtick inside doubled, so any name a user configures is used
 * as-is and never read as SQL. Throws for names MySQL cannot hold (empty,
 * NUL characters, trailing spaces).
 */
export function quoteIdentifier(name: string): string {
  if (name === "" || name.includes("\0") || name.endsWith(" ")) {
    throw new StorageError(
      `Invalid table name '${name}': MySQL names are not empty, hold no NUL character and ` +
        `do not end with a space`,
    );
  }
  return "`" + name.replaceAll("`", "``") + "`";
}
