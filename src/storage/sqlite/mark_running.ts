/** accepted -> running: jobs start. */

import type { SqliteContext } from "./context.ts";
import { ownerGuard } from "../owner_guard.ts";
import { countAttemptSql } from "../time_columns.ts";

/**
 * Sets the rows `running` with `time_started` = `startedAt`, those that are
 * `accepted`, in one transaction. Returns the ids whose row was not
 * `accepted` (or, when the table tracks owners, not ours: left untouched); a row already `running` since `startedAt` (and
 * owned by this worker, when tracked) counts as marked, as in the MySQL store.
 */
export function markRunning(
  context: SqliteContext,
  ids: readonly number[],
  startedAt: number,
): number[] {
  return context.connection.immediate(() => setRunning(context, ids, startedAt));
}

/** `markRunning`'s changes, in the caller's transaction. */
export function setRunning(
  context: SqliteContext,
  ids: readonly number[],
  startedAt: number,
): number[] {
  const { connection, table } = context;
  const owned = ownerGuard(context);
  const markedBefore = (id: number) =>
    connection.all(
      `SELECT id FROM ${table} WHERE id = ? AND status = 'running' AND time_started = ?${owned.sql}`,
      id,
      startedAt,
      ...owned.params,
    ).length === 1;
  return ids.filter((id) =>
    connection.run(
        `UPDATE ${table} SET status = 'running', time_started = ?${
          countAttemptSql(context.time, "MIN")
        }
          WHERE id = ? AND status = 'accepted'${owned.sql}`,
        startedAt,
        id,
        ...owned.params,
      ) !== 1 && !markedBefore(id)
  );
}
