/** waiting -> accepted: the claim of a poll. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

/**
 * The locking read of a claim for one target: `?` = target, limit. `table`
 * is quoted already; `columns` is what it selects. Exported so the
 * benchmark times and EXPLAINs exactly this query.
 */
export function claimSelectSql(table: string, skipLocked: boolean, columns = "id"): string {
  const locking = skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
  return `SELECT ${columns} FROM ${table} WHERE status = 'waiting' AND target = ? ` +
    `ORDER BY id LIMIT ? ${locking}`;
}

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one transaction: a locking read (`FOR UPDATE`, with
 * `SKIP LOCKED` where the server has it, so concurrent workers take
 * different rows instead of waiting for each other), then one guarded UPDATE
 * to `accepted` (recording the owner when tracked). The jobs carry their
 * target as requested. Where the server has
 * SKIP LOCKED, the reads of all targets are one statement (a UNION ALL of
 * each target's read, each with its own LIMIT), so a claim costs four
 * statements however many targets it serves; older servers get one read per
 * target.
 */
export async function claimWaiting(
  context: MysqlContext,
  limits: ReadonlyMap<string, number>,
): Promise<ClaimedJob[]> {
  const { table, tracksOwner, workerName, queryTimeoutMs, skipLocked } = context;
  // Each row says which requested target it was read for (`part`): the
  // column's collation may match a name spelled differently.
  const targets = [...limits.keys()];
  const select = (part: number) => claimSelectSql(table, skipLocked, `id, ${part} AS part`);
  const reads = skipLocked
    ? [{
      sql: targets.map((_, part) => `(${select(part)})`).join(" UNION ALL "),
      values: [...limits].flat(),
    }]
    : [...limits].map(([target, limit], part) => ({ sql: select(part), values: [target, limit] }));
  return await inTransaction(context, async (connection) => {
    const rows: RowDataPacket[] = [];
    for (const { sql, values } of reads) {
      rows.push(...await runQuery<RowDataPacket[]>(connection, queryTimeoutMs, sql, values));
    }
    if (rows.length === 0) return [];
    rows.sort((a, b) => Number(a.part) - Number(b.part) || Number(a.id) - Number(b.id));
    const ids = rows.map((row) => Number(row.id));
    const update = await runQuery<ResultSetHeader>(
      connection,
      queryTimeoutMs,
      `UPDATE ${table} SET status = 'accepted'${tracksOwner ? ", worker = ?" : ""}
        WHERE id IN (?) AND status = 'waiting'`,
      tracksOwner ? [workerName, ids] : [ids],
    );
    if (update.affectedRows !== ids.length) {
      throw new ConflictRetry(`${ids.length} rows locked but ${update.affectedRows} updated`);
    }
    return rows.map((row): ClaimedJob => ({
      id: Number(row.id),
      target: targets[Number(row.part)],
      origin: "waiting",
    }));
  });
}
