/** `stats`: rows per target and status, the done rows of the last hour and day, the timed out. */

import {
  type CountedColumns,
  countJobsStatements,
  countsOf,
  countWaitingStatements,
  type StoreCounts,
} from "../control_sql.ts";
import type { SqliteContext } from "./context.ts";

/** Runs {@linkcode countWaitingStatements}' reads. */
export function countWaiting(
  context: SqliteContext,
  targets: readonly string[],
): Record<string, unknown>[] {
  return countWaitingStatements(context.table, targets)
    .flatMap(({ sql, params }) => context.connection.all(sql, ...params));
}

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
