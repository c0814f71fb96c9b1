/** accepted | running -> waiting | manual: jobs released ("marked": their attempt given back). */

import type { ResultSetHeader } from "mysql2/promise";
import type { ClaimedJob } from "../../job.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { inTransaction } from "./transaction.ts";
import { ownerGuard } from "../owner_guard.ts";
import type { ReleaseFrom } from "../job_store.ts";

/**
 * Sets each job's row back to the status it was claimed from (clearing its
 * owner when tracked), only if it is still `from` (and ours, when tracked),
 * in one transaction. `marked` takes `running` rows and gives back the
 * attempt their mark counted, where the table has `attempts`.
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
  const status = from === "marked" ? "running" : from;
  // The mark counted an attempt whose process never started.
  const uncount = from === "marked" && context.time.columns.has("attempts")
    ? ", attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE attempts END"
    : "";
  return await inTransaction(context, async (connection) => {
    const notReleased: number[] = [];
    for (const job of jobs) {
      const update = await runQuery<ResultSetHeader>(
        connection,
        context.queryTimeoutMs,
        `UPDATE ${context.table} SET status = ?${clearOwner}${uncount} WHERE id = ? AND status = ?${owned.sql}`,
        [job.origin, job.id, status, ...owned.params],
      );
      if (update.affectedRows !== 1) notReleased.push(job.id);
    }
    return notReleased;
  });
}
