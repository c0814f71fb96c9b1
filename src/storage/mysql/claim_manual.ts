/** manual -> accepted | running | ignored: the claim of a run-manual request. */

import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { ManualClaim } from "../job_store.ts";
import { judgeManualRows } from "../manual_claim_outcome.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { attachRowValues } from "./read_row_values.ts";
import { markStarting } from "../start_now.ts";
import { claimUpdate } from "./claim_waiting.ts";
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
 * are and get `status = S != manual`; rows of another target than
 * `expectedTargets` names for their id are left as they are too (the error
 * of `judgeManualRows`). Duplicate ids count once. The first
 * `startNow` rows of a served target go to `running` instead, with
 * `time_started` = `startedAt` and the attempt counted, by the same UPDATE
 * as the background claim's (`claimUpdate`); the per-row values are read
 * before it.
 */
export async function claimManual(
  context: MysqlContext,
  ids: readonly number[],
  servedTargets: ReadonlySet<string>,
  startNow: ReadonlyMap<string, number>,
  startedAt: number,
  expectedTargets: ReadonlyMap<number, string>,
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
    const { claimed, ignored, errors } = judgeManualRows(
      unique,
      found,
      servedTargets,
      expectedTargets,
    );
    const jobs = await attachRowValues(connection, context, claimed);
    const starting = markStarting(jobs, startNow, startedAt);
    const claimedIds = jobs.map((job) => job.id);
    if (claimedIds.length > 0) {
      await updateManualRows(
        connection,
        context,
        claimedIds.length,
        claimUpdate(context, claimedIds, starting, startedAt, "manual"),
      );
    }
    if (ignored.length > 0) {
      await updateManualRows(connection, context, ignored.length, [
        `UPDATE ${context.table} SET status = 'ignored' WHERE id IN (?) AND status = 'manual'`,
        [ignored],
      ]);
    }
    return { claimed: jobs, errors };
  });
}

/** Runs one UPDATE of `count` locked `manual` rows; fewer changed means the claim is retried. */
async function updateManualRows(
  connection: PoolConnection,
  context: MysqlContext,
  count: number,
  [sql, values]: [string, unknown[]],
): Promise<void> {
  const update = await runQuery<ResultSetHeader>(connection, context.queryTimeoutMs, sql, values);
  if (update.affectedRows !== count) {
    throw new ConflictRetry(`${count} manual rows locked but ${update.affectedRows} updated`);
  }
}
