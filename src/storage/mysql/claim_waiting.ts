/** waiting -> accepted: the claim of a poll. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

/**
 * The locking read of a claim: `?` = target, limit. `table` is quoted
 * already. Exported so the benchmark times and EXPLAINs exactly this query.
 */
export function claimSelectSql(table: string, skipLocked: boolean): string {
  const locking = skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
  return `SELECT id FROM ${table} WHERE status = 'waiting' AND target = ? ORDER BY id LIMIT ? ${locking}`;
}

/**
 * Claims up to `limit` `waiting` rows of `target`, lowest id first, in one
 * transaction: a locking read (`FOR UPDATE`, with `SKIP LOCKED` where the
 * server has it, so concurrent workers take different rows instead of
 * waiting for each other), then one guarded UPDATE to `accepted` (recording
 * the owner when tracked). The jobs carry `target` as requested.
 */
export async function claimWaiting(
  context: MysqlContext,
  target: string,
  limit: number,
): Promise<ClaimedJob[]> {
  const { table, tracksOwner, workerName, queryTimeoutMs } = context;
  return await inTransaction(context, async (connection) => {
    const rows = await runQuery<RowDataPacket[]>(
      connection,
      queryTimeoutMs,
      claimSelectSql(table, context.skipLocked),
      [target, limit],
    );
    if (rows.length === 0) return [];
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
    return ids.map((id): ClaimedJob => ({ id, target, origin: "waiting" }));
  });
}
