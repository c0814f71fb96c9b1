/** `jobs`: rows by target, status and result, newest first. */

import type { RowDataPacket } from "mysql2/promise";
import type { JobsQuery, JobSummary } from "../../protocol/control_requests.ts";
import { listJobsStatement } from "../control_sql.ts";
import { summaryOf } from "../control_values.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/** Runs {@linkcode listJobsStatement}; `created` is null when the table has no `time_created`. */
export async function listJobs(
  context: MysqlContext,
  query: JobsQuery,
  hasCreated: boolean,
): Promise<JobSummary[]> {
  const { sql, params } = listJobsStatement(context.table, query, hasCreated);
  const rows = await runQuery<RowDataPacket[]>(context.pool, context.queryTimeoutMs, sql, params);
  return rows.map(summaryOf);
}
