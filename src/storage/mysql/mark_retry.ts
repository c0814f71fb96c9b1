/** running -> delayed: a failed attempt of a job that has attempts left. */

import type { ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { FinishedJob } from "../job_store.ts";
import { ownerGuard } from "../owner_guard.ts";
import type { MysqlContext } from "./context.ts";
import { fitter } from "./mark_done.ts";
import { runQuery } from "./query.ts";
import { inTransaction } from "./transaction.ts";

/**
 * Writes each job's attempt (`time_finished`, `result`, `return_code`, `sig`,
 * `stdout`, `stderr`, as `markDone` does) and sets the row `delayed` with
 * `time_run_at` = its `retryAt`, for rows that are `running` (and ours, when
 * tracked): one UPDATE per job, in one transaction (retries are rare).
 * Returns the ids whose row was not `running`. A row already `delayed` with
 * this `time_run_at` and `time_finished` counts as written (the same call
 * again after its reply was lost).
 */
export async function markRetry(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<number[]> {
  const owned = ownerGuard(context);
  const fit = fitter(context);
  return await inTransaction(context, async (connection) => {
    const untouched: number[] = [];
    for (const { id, outcome, finishedAt, retryAt } of jobs) {
      const update = await runQuery<ResultSetHeader>(
        connection,
        context.queryTimeoutMs,
        `UPDATE ${context.table}
            SET status = 'delayed', time_run_at = ?, time_finished = ?, result = ?,
                return_code = ?, sig = ?, stdout = ?, stderr = ?
          WHERE id = ? AND status = 'running'${owned.sql}`,
        [
          retryAt,
          finishedAt,
          outcome.result,
          outcome.code,
          outcome.signal,
          fit("stdout", outcome.stdout),
          fit("stderr", outcome.stderr),
          id,
          ...owned.params,
        ],
      );
      if (update.affectedRows === 1) continue;
      const before = await runQuery<RowDataPacket[]>(
        connection,
        context.queryTimeoutMs,
        `SELECT id FROM ${context.table}
          WHERE id = ? AND status = 'delayed' AND time_run_at = ? AND time_finished = ?${owned.sql}`,
        [id, retryAt, finishedAt, ...owned.params],
      );
      if (before.length === 0) untouched.push(id);
    }
    return untouched;
  });
}
