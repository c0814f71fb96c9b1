/** What waits as `delayed`, per target: how many and the earliest time. */

import { DELAYED_COUNT_LIMIT, type DelayedSummary } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";

/**
 * For each of `targets`, the earliest `time_run_at` of its `delayed` rows and
 * their number, counted up to `DELAYED_COUNT_LIMIT` (read from the
 * `(status, target, time_run_at)` index). Targets without delayed rows are
 * absent.
 */
export function countDelayed(
  context: SqliteContext,
  targets: readonly string[],
): Map<string, DelayedSummary> {
  const { connection, table } = context;
  const summaries = new Map<string, DelayedSummary>();
  for (const target of targets) {
    const row = connection.get(
      `SELECT (SELECT MIN(time_run_at) FROM ${table} WHERE status = 'delayed' AND target = ?)
                AS next,
              (SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE status = 'delayed' AND target = ?
                LIMIT ${DELAYED_COUNT_LIMIT})) AS count`,
      target,
      target,
    );
    if (row === undefined || row.next === null || Number(row.count) === 0) continue;
    summaries.set(target, { count: Number(row.count), next: Number(row.next) });
  }
  return summaries;
}
