/** delayed -> waiting: deferred jobs whose time has come. */

import { getLogger } from "@logtape/logtape";
import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

const log = getLogger(["jobd", "storage"]);

/**
 * The promotion's UPDATE: `?` = targets, now, limit. `table` is quoted
 * already. tests/storage_mysql_delayed_test.ts EXPLAINs it.
 */
export function promoteDelayedSql(table: string): string {
  return `UPDATE ${table} SET status = 'waiting'
      WHERE status = 'delayed' AND target IN (?) AND time_run_at <= ? ORDER BY id LIMIT ?`;
}

/**
 * The ids of `delayed` rows whose `time_run_at` is NULL (a table that allows
 * it): `?` = targets, limit. NULL sorts first in the `(status, target,
 * time_run_at)` index, so this reads an empty range when there are none.
 */
export function nullRunAtSql(table: string): string {
  return `SELECT id FROM ${table}
      WHERE status = 'delayed' AND target IN (?) AND time_run_at IS NULL ORDER BY id LIMIT ?`;
}

/**
 * Sets up to `limit` `delayed` rows of `targets` whose `time_run_at` ≤ `now`
 * to `waiting`, lowest id first, in one autocommitted UPDATE guarded by the
 * status: when several workers promote at once, each row is promoted by one
 * of them and then claimed like any waiting row. With few rows due, the
 * server reads them from the `(status, target, time_run_at)` index of
 * schema.sql and sorts them; with many, it walks `(status, target, id)` in
 * id order and stops at the limit. In a table whose `time_run_at` allows
 * NULL, a row whose time is NULL would never be due: it is promoted first,
 * one guarded UPDATE each, with a warning naming the job. Returns how many
 * rows it promoted.
 */
export async function promoteDelayed(
  context: MysqlContext,
  targets: readonly string[],
  now: number,
  limit: number,
): Promise<number> {
  const { pool, queryTimeoutMs, table } = context;
  let promoted = 0;
  const nulls = context.time.runAtNullable === false
    ? []
    : await runQuery<RowDataPacket[]>(pool, queryTimeoutMs, nullRunAtSql(table), [
      targets,
      limit,
    ]);
  for (const row of nulls) {
    const update = await runQuery<ResultSetHeader>(
      pool,
      queryTimeoutMs,
      `UPDATE ${table} SET status = 'waiting'
        WHERE id = ? AND status = 'delayed' AND time_run_at IS NULL`,
      [row.id],
    );
    if (update.affectedRows === 0) continue;
    promoted++;
    log.warn("Job {id}: its time_run_at {value} is not a unix time; running it now", {
      id: Number(row.id),
      value: "NULL",
    });
  }
  if (promoted >= limit) return promoted;
  const update = await runQuery<ResultSetHeader>(
    pool,
    queryTimeoutMs,
    promoteDelayedSql(table),
    [targets, now, limit - promoted],
  );
  return promoted + update.affectedRows;
}
