/** Rows a previous run of this worker left accepted or running. */

import type { RowDataPacket } from "mysql2/promise";
import type { LeftBehindJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { rowValueColumns, toRowTimeValues } from "../time_columns.ts";
import { decimalAsNumber } from "./read_row_values.ts";

interface LeftBehindRow extends RowDataPacket {
  id: number | string;
  target: string;
  status: "accepted" | "running";
  time_started: number | string | null;
}

/**
 * Lists the `accepted` and `running` rows whose `worker` is this worker's
 * name, lowest id first, a `running` one with its `time_started`. Empty when
 * the table has no `worker` column.
 */
export async function findLeftBehind(context: MysqlContext): Promise<LeftBehindJob[]> {
  if (!context.tracksOwner) return [];
  const extra = rowValueColumns(context.time.columns).map((column) => `, ${column}`).join("");
  const rows = await runQuery<LeftBehindRow[]>(
    context.pool,
    context.queryTimeoutMs,
    `SELECT id, target, status, time_started${extra} FROM ${context.table}
      WHERE worker = ? AND status IN ('accepted', 'running') ORDER BY id`,
    [context.workerName],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    target: row.target,
    status: row.status,
    ...row.status === "running" ? { startedAt: Number(row.time_started) } : {},
    ...extra === "" ? {} : { row: toRowTimeValues(row, decimalAsNumber) },
  }));
}
