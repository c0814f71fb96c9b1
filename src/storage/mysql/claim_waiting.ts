/** waiting -> accepted: the claim of a poll. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ClaimedJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

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
  const locking = context.skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
  return await inTransaction(context, async (connection) => {
    const rows = await runQuery<RowDataPacket[]>(
      connection,
      queryTimeoutMs,
      `SELECT id FROM ${table} WHERE status = 'waiting' AND target = ? ORDER BY id LIMIT ? ${locking}`,
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
