/** `jobs`: rows by target, status and result, newest first. */

import type { RowDataPacket } from "mysql2/promise";
import type { JobsQuery, JobSummary } from "../../protocol/control_requests.ts";
import { summaryOf } from "../control_values.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/**
 * Reads at most `query.limit` rows of `query.target` in `query.status`
 * with `query.result` (each may be absent), highest id first. `created` is null when the
 * table has no `time_created` column.
 */
export async function listJobs(
  context: MysqlContext,
  query: JobsQuery,
  hasCreated: boolean,
): Promise<JobSummary[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.target !== undefined) {
    where.push("target = ?");
    params.push(query.target);
  }
  if (query.status !== undefined) {
    where.push("status = ?");
    params.push(query.status);
  }
  if (query.result !== undefined) {
    where.push("result = ?");
    params.push(query.result);
  }
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    `SELECT id, target, status, result, return_code, sig, time_started, time_finished
            ${hasCreated ? ", time_created" : ""}
       FROM ${context.table}
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ?`,
    [...params, query.limit],
  );
  return rows.map(summaryOf);
}
