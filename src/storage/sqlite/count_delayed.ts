/** What waits as `delayed`, per target: how many and the earliest time. */

import { DELAYED_COUNT_LIMIT } from "../../protocol/requests.ts";
import type { DelayedSummary } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";
import { INVALID_RUN_AT } from "./promote_delayed.ts";

/**
 * For each of `targets`, the earliest `time_run_at` of its `delayed` rows and
 * their number, counted up to `DELAYED_COUNT_LIMIT` (read from the
 * `(status, target, time_run_at)` index). One statement for all targets (the
 * names as a JSON list, each looked up in the index): one per target cost
 * 0.46 ms each, 4.6 s for 10,000 targets. A row whose `time_run_at` is no
 * unix time is due (promote_delayed.ts): its target's earliest time is then
 * 0. Targets without delayed rows are absent.
 */
export function countDelayed(
  context: SqliteContext,
  targets: readonly string[],
): Map<string, DelayedSummary> {
  const { connection, table } = context;
  const summaries = new Map<string, DelayedSummary>();
  for (const row of connection.all(countDelayedSql(table), JSON.stringify(targets))) {
    if (Number(row.count) === 0) continue;
    const next = Number(row.invalid) !== 0 ? 0 : Number(row.next);
    summaries.set(String(row.target), { count: Number(row.count), next });
  }
  return summaries;
}

/** {@linkcode countDelayed}'s statement: `?` = the targets as a JSON list. */
export function countDelayedSql(table: string): string {
  const delayed = `FROM ${table} WHERE status = 'delayed' AND target = wanted.value`;
  const invalid = INVALID_RUN_AT.map((condition) => `EXISTS (SELECT 1 ${delayed} AND ${condition})`)
    .join(" OR ");
  return `SELECT wanted.value AS target,
      (SELECT MIN(time_run_at) ${delayed}) AS next,
      ${invalid} AS invalid,
      (SELECT COUNT(*) FROM (SELECT 1 ${delayed} LIMIT ${DELAYED_COUNT_LIMIT})) AS count
    FROM json_each(?) AS wanted WHERE EXISTS (SELECT 1 ${delayed})`;
}
