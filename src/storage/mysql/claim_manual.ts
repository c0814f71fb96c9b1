/** manual -> accepted | ignored: the claim of a run-manual request. */

import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ManualClaim } from "../job_store.ts";
import { judgeManualRows } from "../manual_claim_outcome.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { attachRowValues } from "./read_row_values.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

interface ManualRowPacket extends RowDataPacket {
  id: number | string;
  target: string;
  status: string;
}

/**
 * Claims the rows `ids` in one transaction. Each row is locked (a plain
 * `FOR UPDATE`: a row another worker is claiming right now is waited for, then
 * judged by its new status). `manual` rows of a served target become
 * `accepted` (owner recorded when tracked); `manual` rows of another target
 * become `ignored` with the error `target 'T' not found (job id=N)`; ids
 * without a row get `job N not found`; rows in another status are left as they
 * are and get `status = S != manual`. Duplicate ids count once.
 */
export async function claimManual(
  context: MysqlContext,
  ids: readonly number[],
  servedTargets: ReadonlySet<string>,
): Promise<ManualClaim> {
  const unique = [...new Set(ids)];
  return await inTransaction(context, async (connection) => {
    const rows = await runQuery<ManualRowPacket[]>(
      connection,
      context.queryTimeoutMs,
      `SELECT id, target, status FROM ${context.table} WHERE id IN (?) ORDER BY id FOR UPDATE`,
      [unique],
    );
    const found = new Map(rows.map((row) => [Number(row.id), row]));
    const { claimed, ignored, errors } = judgeManualRows(unique, found, servedTargets);
    const owner = context.tracksOwner ? { column: "worker", value: context.workerName } : undefined;
    const claimedIds = claimed.map((job) => job.id);
    await setManualRows(context, connection, claimedIds, "accepted", owner);
    await setManualRows(context, connection, ignored, "ignored", undefined);
    return { claimed: await attachRowValues(connection, context, claimed), errors };
  });
}

async function setManualRows(
  context: MysqlContext,
  connection: PoolConnection,
  ids: number[],
  status: "accepted" | "ignored",
  owner: { column: string; value: string } | undefined,
): Promise<void> {
  if (ids.length === 0) return;
  const update = await runQuery<ResultSetHeader>(
    connection,
    context.queryTimeoutMs,
    `UPDATE ${context.table} SET status = ?${owner ? `, ${owner.column} = ?` : ""}
      WHERE id IN (?) AND status = 'manual'`,
    owner ? [status, owner.value, ids] : [status, ids],
  );
  if (update.affectedRows !== ids.length) {
    throw new ConflictRetry(`${ids.length} manual rows locked but ${update.affectedRows} updated`);
  }
}
