/** accepted -> running: a job starts. */

import type { SqliteContext } from "./context.ts";

/**
 * Sets the row `running` with `time_started` = `startedAt`, only if it is
 * `accepted`. Returns whether it was.
 */
export function markRunning(context: SqliteContext, id: number, startedAt: number): boolean {
  return context.connection.run(
    `UPDATE ${context.table} SET status = 'running', time_started = ?
      WHERE id = ? AND status = 'accepted'`,
    startedAt,
    id,
  ) === 1;
}
