/** `add`: new rows. */

import type { ResultSetHeader } from "mysql2/promise";
import { insertSql } from "../control_sql.ts";
import type { InsertRow } from "../control_values.ts";
import type { MysqlContext } from "./context.ts";
import { quoteIdentifier } from "./identifier.ts";
import { runQuery } from "./query.ts";
import { inTransaction } from "./transaction.ts";

/**
 * Inserts `count` copies of `row` in one transaction, one INSERT each (so
 * that each id is the server's own answer, whatever its auto-increment
 * lock mode). Returns the ids, ascending.
 */
export async function insertJobs(
  context: MysqlContext,
  row: InsertRow,
  count: number,
): Promise<number[]> {
  const sql = insertSql(context.table, row, quoteIdentifier);
  return await inTransaction(context, async (connection) => {
    const ids: number[] = [];
    for (let index = 0; index < count; index++) {
      const header = await runQuery<ResultSetHeader>(
        connection,
        context.queryTimeoutMs,
        sql,
        row.values,
      );
      ids.push(Number(header.insertId));
    }
    return ids.sort((a, b) => a - b);
  });
}
