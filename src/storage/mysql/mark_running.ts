/** accepted -> running: jobs start. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ownerGuard } from "../owner_guard.ts";
import { countAttemptSql } from "../time_columns.ts";

/**
 * Sets the rows `running` with `time_started` = `startedAt`, those that are
 * `accepted` (and ours, when the table tracks owners), in one autocommitted UPDATE. Returns the ids whose row was not
 * `accepted` (left untouched).
 *
 * The server reports how many rows changed, not which: when fewer than all
 * did (a row changed under us, which is rare), one more read tells them
 * apart. A row is taken as ours when it is `running` with our `time_started`
 * (and our name, when the table tracks owners); that also recognises a row
 * that an earlier attempt of the same call set before its reply was lost.
 */
export async function markRunning(
  context: MysqlContext,
  ids: readonly number[],
  startedAt: number,
): Promise<number[]> {
  const { pool, queryTimeoutMs, table } = context;
  const owned = ownerGuard(context);
  const update = await runQuery<ResultSetHeader>(
    pool,
    queryTimeoutMs,
    `UPDATE ${table} SET status = 'running', time_started = ?${
      countAttemptSql(context.time, "LEAST")
    }
      WHERE id IN (?) AND status = 'accepted'${owned.sql}`,
    [startedAt, ids, ...owned.params],
  );
  if (update.affectedRows === ids.length) return [];
  const marked = await markedBefore(context, ids, startedAt);
  return ids.filter((id) => !marked.has(id));
}

/**
 * The ids of `ids` whose row is `running` since `startedAt` (and ours, when
 * the table tracks owners): rows this mark, or an earlier attempt of it, set.
 */
export async function markedBefore(
  context: MysqlContext,
  ids: readonly number[],
  startedAt: number,
): Promise<Set<number>> {
  const owned = ownerGuard(context);
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    `SELECT id FROM ${context.table}
      WHERE id IN (?) AND status = 'running' AND time_started = ?${owned.sql}`,
    [ids, startedAt, ...owned.params],
  );
  return new Set(rows.map((row) => Number(row.id)));
}
