/** `stats`: rows per target and status, and the done rows of the last hour and day. */

import type { RowDataPacket } from "mysql2/promise";
import { countJobsStatements, countsOf } from "../control_sql.ts";
import type { DoneCount, StatusCount } from "../control_values.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/** Runs {@linkcode countJobsStatements}' two reads. */
export async function countJobs(
  context: MysqlContext,
  since: { hourAgo: number; dayAgo: number },
  hasCreated: boolean,
): Promise<{ statuses: StatusCount[]; done: DoneCount[] }> {
  const { pool, queryTimeoutMs, table } = context;
  const reads = countJobsStatements(table, since, hasCreated);
  const statuses = await runQuery<RowDataPacket[]>(
    pool,
    queryTimeoutMs,
    reads.statuses.sql,
    reads.statuses.params,
  );
  const done = await runQuery<RowDataPacket[]>(
    pool,
    queryTimeoutMs,
    reads.done.sql,
    reads.done.params,
  );
  return countsOf(statuses, done);
}
