/** What waits as `delayed`, per target: how many and the earliest time. */

import type { RowDataPacket } from "mysql2/promise";
import { DELAYED_COUNT_LIMIT } from "../../protocol/requests.ts";
import type { DelayedSummary } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * For each of `targets`, the earliest `time_run_at` of its `delayed` rows and
 * their number, counted up to `DELAYED_COUNT_LIMIT` (both read from the
 * `(status, target, time_run_at)` index: a million delayed rows cost no more
 * than ten thousand). One statement for all targets. Targets without delayed
 * rows are absent.
 */
export async function countDelayed(
  context: MysqlContext,
  targets: readonly string[],
): Promise<Map<string, DelayedSummary>> {
  const { table } = context;
  const part = `(SELECT ? AS target,
      (SELECT MIN(time_run_at) FROM ${table} WHERE status = 'delayed' AND target = ?) AS next,
      (SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE status = 'delayed' AND target = ?
        LIMIT ${DELAYED_COUNT_LIMIT}) AS capped) AS count)`;
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    targets.map(() => part).join(" UNION ALL "),
    targets.flatMap((target) => [target, target, target]),
  );
  const summaries = new Map<string, DelayedSummary>();
  for (const row of rows) {
    if (row.next === null || Number(row.count) === 0) continue;
    summaries.set(String(row.target), { count: Number(row.count), next: Number(row.next) });
  }
  return summaries;
}
