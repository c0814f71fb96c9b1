/** What waits as `delayed`, per target: how many and the earliest time. */

import type { RowDataPacket } from "mysql2/promise";
import { DELAYED_COUNT_LIMIT } from "../../protocol/requests.ts";
import type { DelayedSummary } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * For each of `targets`, the earliest `time_run_at` of its `delayed` rows and
 * their number, counted up to `DELAYED_COUNT_LIMIT` (both read from an index
 * on (`status`, `target`, …): a million delayed rows cost no more than ten
 * thousand). One statement for all targets, whose reads are planned once and
 * run per target (a UNION of one part per target cost 0.3 ms a target: 3 s
 * for 10,000). Targets without delayed rows are absent. A row whose
 * `time_run_at` is NULL (where the column allows it) is due
 * (promote_delayed.ts): its target's earliest time is then 0.
 */
export async function countDelayed(
  context: MysqlContext,
  targets: readonly string[],
): Promise<Map<string, DelayedSummary>> {
  // Only a column that allows NULL can hold a time that is never due.
  const nullable = context.time.runAtNullable !== false;
  const { sql, params } = countDelayedStatement(context.table, nullable, targets);
  const rows = await runQuery<RowDataPacket[]>(context.pool, context.queryTimeoutMs, sql, params);
  const summaries = new Map<string, DelayedSummary>();
  for (const row of rows) {
    if (Number(row.count) === 0) continue;
    const next = Number(row.invalid) !== 0 ? 0 : Number(row.next);
    summaries.set(String(row.target), { count: Number(row.count), next });
  }
  return summaries;
}

/** A name of ASCII characters only: every character set of a `target` column holds it. */
const ASCII = /^\p{ASCII}*$/u;

/**
 * {@linkcode countDelayed}'s statement. The names of ASCII characters are the
 * rows of a derived table, so that the rows carry the names as asked (a
 * case-insensitive collation matches other spellings). Any other name has a
 * part of its own, with the name as a literal: the server compares a
 * derived table's text with a column of a narrower character set (latin1)
 * only when all of it is ASCII. The count is exact below the limit and the
 * limit at it: a row found at offset limit − 1 spares the count.
 */
export function countDelayedStatement(
  table: string,
  nullable: boolean,
  targets: readonly string[],
): { sql: string; params: string[] } {
  const reads = (match: string) => {
    const delayed = `FROM ${table} WHERE status = 'delayed' AND target = ${match}`;
    const invalid = nullable ? `EXISTS (SELECT 1 ${delayed} AND time_run_at IS NULL)` : "0";
    return `(SELECT MIN(time_run_at) ${delayed}) AS next,
      ${invalid} AS invalid,
      IF((SELECT 1 ${delayed} LIMIT ${DELAYED_COUNT_LIMIT - 1}, 1) IS NULL,
        (SELECT COUNT(*) ${delayed}), ${DELAYED_COUNT_LIMIT}) AS count`;
  };
  const ascii = targets.filter((name) => ASCII.test(name));
  const others = targets.filter((name) => !ASCII.test(name));
  const parts: string[] = [];
  if (ascii.length > 0) {
    const names = ascii.map(() => "SELECT ? AS target").join(" UNION ALL ");
    parts.push(
      `(SELECT wanted.target AS target, ${reads("wanted.target")} FROM (${names}) AS wanted)`,
    );
  }
  // The part's name, then each `?` of its reads: 3 of them, 4 where time_run_at may be NULL.
  const uses = nullable ? 4 : 3;
  for (const _ of others) parts.push(`(SELECT ? AS target, ${reads("?")})`);
  return {
    sql: parts.join(" UNION ALL "),
    params: [...ascii, ...others.flatMap((name) => Array<string>(1 + uses).fill(name))],
  };
}
