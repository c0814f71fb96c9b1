/** `stats`: rows per target and status, the done rows of the last hour and day, the timed out. */

import {
  type CountedColumns,
  countJobsStatements,
  countsOf,
  type StoreCounts,
} from "../control_sql.ts";
import type { SqliteContext } from "./context.ts";

/** Runs {@linkcode countJobsStatements}' three reads. */
export function countJobs(
  context: SqliteContext,
  since: { hourAgo: number; dayAgo: number },
  columns: CountedColumns,
): StoreCounts {
  const { connection, table } = context;
  const reads = countJobsStatements(table, since, columns);
  return countsOf(
    connection.all(reads.statuses.sql, ...reads.statuses.params),
    connection.all(reads.done.sql, ...reads.done.params),
    connection.all(reads.timedOut.sql, ...reads.timedOut.params),
  );
}
