/** delayed -> waiting: deferred jobs whose time has come. */

import type { ResultSetHeader } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * The promotion's UPDATE: `?` = targets, now, limit. `table` is quoted
 * already. tests/storage_mysql_delayed_test.ts EXPLAINs it.
 */
export function promoteDelayedSql(table: string): string {
  return `UPDATE ${table} SET status = 'waiting'
      WHERE status = 'delayed' AND target IN (?) AND time_run_at <= ? ORDER BY id LIMIT ?`;
}

/**
 * Sets up to `limit` `delayed` rows of `targets` whose `time_run_at` ≤ `now`
 * to `waiting`, lowest id first, in one autocommitted UPDATE guarded by the
 * status: when several workers promote at once, each row is promoted by one
 * of them and then claimed like any waiting row. With few rows due, the
 * server reads them from the `(status, target, time_run_at)` index of
 * schema.sql and sorts them; with many, it walks `(status, target, id)` in
 * id order and stops at the limit. Returns how many rows it promoted.
 */
export async function promoteDelayed(
  context: MysqlContext,
  targets: readonly string[],
  now: number,
  limit: number,
): Promise<number> {
  const update = await runQuery<ResultSetHeader>(
    context.pool,
    context.queryTimeoutMs,
    promoteDelayedSql(context.table),
    [targets, now, limit],
  );
  return update.affectedRows;
}
