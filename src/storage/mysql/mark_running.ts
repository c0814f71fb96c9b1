/** accepted -> running: a job starts. */

import type { ResultSetHeader } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * Sets the row `running` with `time_started` = `startedAt`, only if it is
 * `accepted`. Returns whether it was.
 */
export async function markRunning(
  context: MysqlContext,
  id: number,
  startedAt: number,
): Promise<boolean> {
  const update = await runQuery<ResultSetHeader>(
    context.pool,
    context.queryTimeoutMs,
    `UPDATE ${context.table} SET status = 'running', time_started = ?
      WHERE id = ? AND status = 'accepted'`,
    [startedAt, id],
  );
  return update.affectedRows === 1;
}
