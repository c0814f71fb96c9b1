/** The per-row time values of claimed jobs: `timeout`, `attempts`, `max_attempts`. */

import type { ClaimedJob } from "../../job.ts";
import { rowValueColumns, toRowTimeValues } from "../time_columns.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Adds to each job the values of the optional per-row columns the table has
 * (one read by primary key, inside the claim's transaction); nothing where
 * the table has no such column.
 */
export function attachRowValues<J extends ClaimedJob>(context: SqliteContext, jobs: J[]): J[] {
  const columns = rowValueColumns(context.time.columns);
  if (columns.length === 0 || jobs.length === 0) return jobs;
  const rows = context.connection.all(
    `SELECT id, ${columns.join(", ")} FROM ${context.table}
      WHERE id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(jobs.map((job) => job.id)),
  );
  const byId = new Map(rows.map((row) => [Number(row.id), toRowTimeValues(row)]));
  for (const job of jobs) {
    const values = byId.get(job.id);
    if (values !== undefined) job.row = values;
  }
  return jobs;
}
