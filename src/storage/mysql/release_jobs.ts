/** accepted | running -> waiting | manual: jobs released (see `ReleaseFrom`). */

import type { ResultSetHeader } from "mysql2/promise";
import type { ClaimedJob } from "../../job.ts";
import type { ReleaseFrom } from "../job_store.ts";
import { uncountAttemptSql } from "../time_columns.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { inTransaction } from "./transaction.ts";
import { markGuard, ownerGuard } from "../owner_guard.ts";

/**
 * Sets each job's row back to the status it was claimed from (clearing its
 * owner when tracked), only if it is still in the status released from (and
 * ours, when tracked),
 * in one transaction.
 * Returns the ids whose row was not in `from` (left untouched).
 */
export async function releaseJobs(
  context: MysqlContext,
  jobs: readonly ClaimedJob[],
  from: ReleaseFrom,
): Promise<number[]> {
  if (jobs.length === 0) return [];
  const clearOwner = context.tracksOwner ? ", worker = NULL" : "";
  const owned = ownerGuard(context);
  const status = from === "accepted" ? "accepted" : "running";
  const uncount = from === "marked" ? uncountAttemptSql(context.time) : "";
  return await inTransaction(context, async (connection) => {
    const notReleased: number[] = [];
    for (const job of jobs) {
      const marked = markGuard(from, job);
      const update = await runQuery<ResultSetHeader>(
        connection,
        context.queryTimeoutMs,
        `UPDATE ${context.table} SET status = ?${clearOwner}${uncount} ` +
          `WHERE id = ? AND status = ?${owned.sql}${marked.sql}`,
        [job.origin, job.id, status, ...owned.params, ...marked.params],
      );
      if (update.affectedRows !== 1) notReleased.push(job.id);
    }
    return notReleased;
  });
}
