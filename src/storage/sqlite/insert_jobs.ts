/** `add`: new rows. */

import { insertSql } from "../control_sql.ts";
import type { InsertRow } from "../control_values.ts";
import type { SqliteContext } from "./context.ts";
import { quoteIdentifier } from "./identifier.ts";

/** Inserts `count` copies of `row` in one `BEGIN IMMEDIATE` transaction; returns the ids, ascending. */
export function insertJobs(context: SqliteContext, row: InsertRow, count: number): number[] {
  const { connection, table } = context;
  const sql = `${insertSql(table, row, quoteIdentifier)} RETURNING id`;
  return connection.immediate(() => {
    const ids: number[] = [];
    for (let index = 0; index < count; index++) {
      ids.push(Number(connection.get(sql, ...row.values)!.id));
    }
    return ids.sort((a, b) => a - b);
  });
}
