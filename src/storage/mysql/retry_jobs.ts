/** `retry`: final rows back to `waiting`. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { retryUpdateSql, sortRetryRows } from "../control_sql.ts";
import type { RetryOutcome } from "../job_control.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

/**
 * In one transaction: reads and locks the rows, refuses each that is missing
 * or not final, and sets the final ones with `assignments` by one UPDATE
 * guarded by the final statuses. A count that falls short (which the locks
 * prevent) runs the transaction again.
 */
export async function retryJobs(
  context: MysqlContext,
  ids: readonly number[],
  assignments: string,
): Promise<RetryOutcome> {
  const { queryTimeoutMs, table } = context;
  return await inTransaction(context, async (connection) => {
    const rows = await runQuery<RowDataPacket[]>(
      connection,
      queryTimeoutMs,
      `SELECT id, target, status FROM ${table} WHERE id IN (?) FOR UPDATE`,
      [ids],
    );
    const outcome = sortRetryRows(ids, rows);
    if (outcome.retried.length === 0) return outcome;
    const retriedIds = outcome.retried.map((job) => job.id);
    const update = await runQuery<ResultSetHeader>(
      connection,
      queryTimeoutMs,
      retryUpdateSql(table, assignments, "id IN (?)"),
      [retriedIds],
    );
    if (update.affectedRows !== retriedIds.length) {
      throw new ConflictRetry(`rows to retry changed under a lock (${update.affectedRows})`);
    }
    return outcome;
  });
}
