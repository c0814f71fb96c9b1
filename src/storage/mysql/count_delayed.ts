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
 * rows are absent. A row whose `time_run_at` is NULL (where the column allows it) is due
 * (promote_delayed.ts): its target's earliest time is then 0.
 */
export async function countDelayed(
  context: MysqlContext,
  targets: readonly string[],
): Promise<Map<string, DelayedSummary>> {
  const { table } = context;
  // Only a column that allows NULL can hold a time that is never due.
  const nullable = context.time.runAtNullable !== false;
  const invalid = nullable
    ? `EXISTS (SELECT 1 FROM ${table}
        WHERE status = 'delayed' AND target = ? AND time_run_at IS NULL)`
    : "0";
  const part = `(SELECT ? AS target,
      (SELECT MIN(time_run_at) FROM ${table} WHERE status = 'delayed' AND target = ?) AS next,
      ${invalid} AS invalid,
      (SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE status = 'delayed' AND target = ?
        LIMIT ${DELAYED_COUNT_LIMIT}) AS capped) AS count)`;
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    targets.map(() => part).join(" UNION ALL "),
    targets.flatMap((target) =>
      nullable ? [target, target, target, target] : [target, target, target]
    ),
  );
  const summaries = new Map<string, DelayedSummary>();
  for (const row of rows) {
    if (Number(row.count) === 0) continue;
    const next = Number(row.invalid) !== 0 ? 0 : Number(row.next);
    summaries.set(String(row.target), { count: Number(row.count), next });
  }
  return summaries;
}
