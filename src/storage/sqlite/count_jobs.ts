/** `stats`: rows per target and status, and the done rows of the last hour and day. */

import { type DoneCount, type StatusCount, UNFINISHED_STATUSES_SQL } from "../control_values.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Two reads: unfinished rows per target and status (through the status
 * index), and `done` rows finished since `dayAgo` per target and result.
 */
export function countJobs(
  context: SqliteContext,
  since: { hourAgo: number; dayAgo: number },
  hasCreated: boolean,
): { statuses: StatusCount[]; done: DoneCount[] } {
  const { connection, table } = context;
  const statuses = connection.all(
    `SELECT target, status, COUNT(*) AS count,
            ${hasCreated ? "MIN(time_created)" : "NULL"} AS oldest
       FROM ${table} WHERE status IN ${UNFINISHED_STATUSES_SQL} GROUP BY target, status`,
  );
  const done = connection.all(
    `SELECT target, result, SUM(time_finished >= ?) AS hour, COUNT(*) AS day
       FROM ${table} WHERE status = 'done' AND time_finished >= ? GROUP BY target, result`,
    since.hourAgo,
    since.dayAgo,
  );
  return {
    statuses: statuses.map((row) => ({
      target: String(row.target),
      status: String(row.status),
      count: Number(row.count),
      oldest: row.oldest === null ? null : Number(row.oldest),
    })),
    done: done.map((row) => ({
      target: String(row.target),
      result: row.result === null ? null : String(row.result),
      hour: Number(row.hour),
      day: Number(row.day),
    })),
  };
}
