/** `jobs`: rows by target, status and result, newest first. */

import type { JobsQuery, JobSummary } from "../../protocol/control_requests.ts";
import { listJobsStatement } from "../control_sql.ts";
import { summaryOf } from "../control_values.ts";
import type { SqliteContext } from "./context.ts";

/** Runs {@linkcode listJobsStatement}; `created` is null when the table has no `time_created`. */
export function listJobs(
  context: SqliteContext,
  query: JobsQuery,
  hasCreated: boolean,
): JobSummary[] {
  const { sql, params } = listJobsStatement(context.table, query, hasCreated);
  return context.connection.all(sql, ...params).map(summaryOf);
}
