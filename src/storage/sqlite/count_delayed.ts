/** What waits as `delayed`, per target: how many and the earliest time. */

import { DELAYED_COUNT_LIMIT } from "../../protocol/requests.ts";
import type { DelayedSummary } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";
import { INVALID_RUN_AT } from "./promote_delayed.ts";

/**
 * For each of `targets`, the earliest `time_run_at` of its `delayed` rows and
 * their number, counted up to `DELAYED_COUNT_LIMIT` (read from the
 * `(status, target, time_run_at)` index). A row whose `time_run_at` is no
 * unix time is due (promote_delayed.ts): its target's earliest time is then
 * 0. Targets without delayed rows are absent.
 */
export function countDelayed(
  context: SqliteContext,
  targets: readonly string[],
): Map<string, DelayedSummary> {
  const { connection, table } = context;
  const delayed = `FROM ${table} WHERE status = 'delayed' AND target = ?`;
  const invalid = INVALID_RUN_AT.map((condition) => `EXISTS (SELECT 1 ${delayed} AND ${condition})`)
    .join(" OR ");
  const summaries = new Map<string, DelayedSummary>();
  for (const target of targets) {
    const row = connection.get(
      `SELECT (SELECT MIN(time_run_at) ${delayed}) AS next,
              ${invalid} AS invalid,
              (SELECT COUNT(*) FROM (SELECT 1 ${delayed} LIMIT ${DELAYED_COUNT_LIMIT})) AS count`,
      target,
      ...INVALID_RUN_AT.map(() => target),
      target,
    );
    if (row === undefined || Number(row.count) === 0) continue;
    const next = Number(row.invalid) !== 0 ? 0 : Number(row.next);
    summaries.set(target, { count: Number(row.count), next });
  }
  return summaries;
}
