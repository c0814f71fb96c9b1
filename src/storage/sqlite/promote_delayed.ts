/** delayed -> waiting: deferred jobs whose time has come. */

import type { SqliteContext } from "./context.ts";

/**
 * Sets up to `limit` `delayed` rows of `targets` whose `time_run_at` ≤ `now`
 * to `waiting`, in one UPDATE guarded by the status (SQLite's write lock
 * makes it one worker's at a time). Returns how many rows it promoted.
 */
export function promoteDelayed(
  context: SqliteContext,
  targets: readonly string[],
  now: number,
  limit: number,
): number {
  const { connection, table } = context;
  return connection.run(
    `UPDATE ${table} SET status = 'waiting'
      WHERE status = 'delayed' AND id IN (
        SELECT id FROM ${table}
         WHERE status = 'delayed' AND target IN (SELECT value FROM json_each(?))
           AND time_run_at <= ?
         LIMIT ?)`,
    JSON.stringify(targets),
    now,
    limit,
  );
}
