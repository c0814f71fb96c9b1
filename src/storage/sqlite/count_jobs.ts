/** `stats`: rows per target and status, and the done rows of the last hour and day. */

import { countJobsStatements, countsOf } from "../control_sql.ts";
import type { DoneCount, StatusCount } from "../control_values.ts";
import type { SqliteContext } from "./context.ts";

/** Runs {@linkcode countJobsStatements}' two reads. */
export function countJobs(
  context: SqliteContext,
  since: { hourAgo: number; dayAgo: number },
  hasCreated: boolean,
): { statuses: StatusCount[]; done: DoneCount[] } {
  const { connection, table } = context;
  const reads = countJobsStatements(table, since, hasCreated);
  return countsOf(
    connection.all(reads.statuses.sql, ...reads.statuses.params),
    connection.all(reads.done.sql, ...reads.done.params),
  );
}
