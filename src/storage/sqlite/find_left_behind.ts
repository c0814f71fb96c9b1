/** Rows a previous run of this worker left accepted or running. */

import type { LeftBehindJob } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";
import { rowValueColumns, toRowTimeValues } from "../time_columns.ts";

/**
 * Lists the `accepted` and `running` rows whose `worker` is this worker's
 * name, lowest id first, a `running` one with its `time_started`. Empty when
 * the table has no `worker` column.
 */
export function findLeftBehind(context: SqliteContext): LeftBehindJob[] {
  if (!context.tracksOwner) return [];
  const extra = rowValueColumns(context.time.columns).map((column) => `, ${column}`).join("");
  return context.connection.all(
    `SELECT id, target, status, time_started${extra} FROM ${context.table}
      WHERE worker = ? AND status IN ('accepted', 'running') ORDER BY id`,
    context.workerName,
  ).map((row) => ({
    id: Number(row.id),
    target: String(row.target),
    status: row.status as LeftBehindJob["status"],
    ...row.status === "running" ? { startedAt: Number(row.time_started) } : {},
    ...extra === "" ? {} : { row: toRowTimeValues(row) },
  }));
}
