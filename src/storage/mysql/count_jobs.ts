/** `stats`: rows per target and status, the done rows of the last hour and day, the timed out. */

import type { RowDataPacket } from "mysql2/promise";
import {
  type CountedColumns,
  countJobsStatements,
  countsOf,
  countWaitingStatements,
  type Statement,
  type StoreCounts,
} from "../control_sql.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/** Runs {@linkcode countWaitingStatements}' reads. */
export async function countWaiting(
  context: MysqlContext,
  targets: readonly string[],
): Promise<RowDataPacket[]> {
  const rows: RowDataPacket[] = [];
  for (const { sql, params } of countWaitingStatements(context.table, targets)) {
    rows.push(
      ...await runQuery<RowDataPacket[]>(context.pool, context.queryTimeoutMs, sql, params),
    );
  }
  return rows;
}

/** Runs {@linkcode countJobsStatements}' three reads. */
export async function countJobs(
  context: MysqlContext,
  since: { hourAgo: number; dayAgo: number },
  columns: CountedColumns,
): Promise<StoreCounts> {
  const { pool, queryTimeoutMs, table } = context;
  const reads = countJobsStatements(table, since, columns);
  const read = (statement: Statement) =>
    runQuery<RowDataPacket[]>(pool, queryTimeoutMs, statement.sql, statement.params);
  const statuses = await read(reads.statuses);
  const done = await read(reads.done);
  const timedOut = await read(reads.timedOut);
  return countsOf(statuses, done, timedOut);
}
