/** delayed -> waiting: deferred jobs whose time has come. */

import { getLogger } from "@logtape/logtape";
import type { SqliteContext } from "./context.ts";
import { rowValueText } from "../../text.ts";

const log = getLogger(["jobd", "storage"]);

/**
 * The conditions, each a range of the `(status, target, time_run_at)` index,
 * that find a `time_run_at` that is no unix time: NULL (a table that allows
 * it), or at least 9e999 (infinity), which in SQLite's order matches an
 * infinite REAL and every TEXT and BLOB (they sort after all numbers). Such
 * a row is due at once: it would never be otherwise.
 */
export const INVALID_RUN_AT = ["time_run_at IS NULL", "time_run_at >= 9e999"] as const;

/** Whether a `time_run_at` read from a row is a unix time (a finite number). */
function isRunTime(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) ||
    typeof value === "bigint";
}

/**
 * The promotion's UPDATE, returning the ids and times of the rows it
 * promoted: `?` = targets (a JSON list), now, the targets twice more, limit.
 * `table` is quoted already.
 */
export function promoteDelayedSql(table: string): string {
  const part = (condition: string) =>
    `SELECT id FROM ${table}
      WHERE status = 'delayed' AND target IN (SELECT value FROM json_each(?)) AND ${condition}`;
  return `UPDATE ${table} SET status = 'waiting'
      WHERE status = 'delayed' AND id IN (
        SELECT id FROM (${["time_run_at <= ?", ...INVALID_RUN_AT].map(part).join(" UNION ALL ")})
         ORDER BY id LIMIT ?)
      RETURNING id, time_run_at`;
}

/**
 * Sets up to `limit` `delayed` rows of `targets` whose `time_run_at` ≤ `now`,
 * or is no unix time (logged with the job's id), to `waiting`, lowest id
 * first, in one UPDATE guarded by the status (SQLite's write lock makes it
 * one worker's at a time). Each part of the choice is a range of the
 * `(status, target, time_run_at)` index. Returns how many rows it promoted.
 */
export function promoteDelayed(
  context: SqliteContext,
  targets: readonly string[],
  now: number,
  limit: number,
): number {
  const { connection, table } = context;
  const list = JSON.stringify(targets);
  const promoted = connection.all(
    promoteDelayedSql(table),
    list,
    now,
    list,
    list,
    limit,
  );
  for (const row of promoted) {
    if (isRunTime(row.time_run_at)) continue;
    log.warn("Job {id}: its time_run_at {value} is not a unix time; running it now", {
      id: Number(row.id),
      value: row.time_run_at === null ? "NULL" : rowValueText(row.time_run_at),
    });
  }
  return promoted.length;
}
