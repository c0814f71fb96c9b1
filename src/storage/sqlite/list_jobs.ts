/** `jobs`: rows by target, status and result, newest first. */

import type { SQLInputValue } from "node:sqlite";
import type { JobsQuery, JobSummary } from "../../protocol/control_requests.ts";
import { summaryOf } from "../control_values.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Reads at most `query.limit` rows of `query.target` in `query.status`
 * with `query.result` (each may be absent), highest id first. `created` is null when the
 * table has no `time_created` column.
 */
export function listJobs(
  context: SqliteContext,
  query: JobsQuery,
  hasCreated: boolean,
): JobSummary[] {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
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
  const rows = context.connection.all(
    `SELECT id, target, status, result, return_code, sig, time_started, time_finished
            ${hasCreated ? ", time_created" : ""}
       FROM ${context.table}
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ?`,
    ...params,
    query.limit,
  );
  return rows.map(summaryOf);
}
