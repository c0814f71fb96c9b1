/** The per-row time values of claimed jobs: `timeout`, `attempts`, `max_attempts`. */

import type { Pool, PoolConnection, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../../job.ts";
import { rowValueColumns, toRowTimeValues } from "../time_columns.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * Adds to each job the values of the optional per-row columns the table has
 * (one read by primary key, inside the claim's transaction). The claim's
 * locking read stays on the `(status, target, id)` index alone; this read
 * costs a statement only where the table has such columns.
 */
export async function attachRowValues<J extends ClaimedJob>(
  on: Pool | PoolConnection,
  context: MysqlContext,
  jobs: J[],
): Promise<J[]> {
  const columns = rowValueColumns(context.time.columns);
  if (columns.length === 0 || jobs.length === 0) return jobs;
  const rows = await runQuery<RowDataPacket[]>(
    on,
    context.queryTimeoutMs,
    `SELECT id, ${columns.join(", ")} FROM ${context.table} WHERE id IN (?)`,
    [jobs.map((job) => job.id)],
  );
  const byId = new Map(rows.map((row) => [Number(row.id), toRowTimeValues(row, decimalAsNumber)]));
  for (const job of jobs) {
    const values = byId.get(job.id);
    if (values !== undefined) job.row = values;
  }
  return jobs;
}

/** A DECIMAL's text as mysql2 gives it: digits, and a fraction (at most 65 digits in all). */
const DECIMAL_TEXT = /^-?\d{1,65}(?:\.\d{1,38})?$/;

/**
 * A per-row value as the number it is: mysql2 gives a DECIMAL column's value
 * as text ("3", "2.50") to keep its precision, so an `attempts DECIMAL(5,0)`
 * would read as no number at all (the job never retried). Other values are
 * left as they are for the worker's checks.
 */
export function decimalAsNumber(value: unknown): unknown {
  return typeof value === "string" && DECIMAL_TEXT.test(value) ? Number(value) : value;
}
