/**
 * The SQL of the operators' requests that MySQL/MariaDB and SQLite share:
 * the statements of `jobs`, `job` and `stats`, the INSERT of `add`, the
 * guarded UPDATE of `retry`, and what is made of the rows read. The modules
 * under `mysql/` and `sqlite/` run them with their own drivers and keep what
 * differs: `retry`'s read of the rows (a locking read of a list on MySQL, a
 * JSON list in `BEGIN IMMEDIATE` on SQLite) and how `add` learns the new ids.
 *
 * @module
 */

import { TIMED_OUT_NOTE_START } from "../job.ts";
import { type JobsQuery, QUERY_STATUSES } from "../protocol/control_requests.ts";
import {
  type DoneCount,
  type InsertRow,
  retryRefusal,
  type StatusCount,
  type TimedOutCount,
} from "./control_values.ts";
import type { RetryOutcome } from "./job_control.ts";

/** A statement and its parameters, in the order of its `?`. */
export interface Statement {
  sql: string;
  params: (string | number)[];
}

/** The statuses `stats` counts, as an SQL list. */
const UNFINISHED_STATUSES_SQL = "('waiting', 'delayed', 'manual', 'accepted', 'running')";

/** The statuses `retry` puts back to `waiting`, as an SQL list. */
const FINAL_STATUSES_SQL = "('done', 'ignored')";

/**
 * `jobs`: at most `query.limit` rows of `query.target` in `query.status`
 * with `query.result` (each may be absent), highest id first; `time_created` only when the
 * table has it. A target without a status is read as one part per status,
 * each through the `(status, target, id)` index: walking the primary key
 * back would read every row of the table for a target with few or none.
 */
export function listJobsStatement(
  table: string,
  query: JobsQuery,
  hasCreated: boolean,
): Statement {
  const columns = `id, target, status, result, return_code, sig, time_started, time_finished
            ${hasCreated ? ", time_created" : ""}`;
  const part = (status: string | undefined): Statement => {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.target !== undefined) {
      where.push("target = ?");
      params.push(query.target);
    }
    if (status !== undefined) {
      where.push("status = ?");
      params.push(status);
    }
    if (query.result !== undefined) {
      where.push("result = ?");
      params.push(query.result);
    }
    return {
      sql: `SELECT ${columns}
       FROM ${table}
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ?`,
      params: [...params, query.limit],
    };
  };
  if (query.target === undefined || query.status !== undefined) return part(query.status);
  const parts = QUERY_STATUSES.map(part);
  return {
    sql: `SELECT * FROM (${
      parts.map((one, index) => `SELECT * FROM (${one.sql}) AS part${index}`).join(" UNION ALL ")
    }) AS picked ORDER BY id DESC LIMIT ?`,
    params: [...parts.flatMap((one) => one.params), query.limit],
  };
}

/** `job`: the whole row of one id. */
export function getJobSql(table: string): string {
  return `SELECT * FROM ${table} WHERE id = ?`;
}

/** The optional columns `stats` reads when the table has them. */
export interface CountedColumns {
  /** `time_created`: the oldest waiting row's age. */
  created: boolean;
  /** `attempts`: the rows waiting for a retry. */
  attempts: boolean;
}

/**
 * `stats`, three reads: unfinished rows per target and status (through the
 * status index), `done` rows finished since `dayAgo` per target and result,
 * and of the failed ones those stopped at their time limit (the end of their
 * stderr, read for failed rows only). The second reads every done row of the
 * last day: a table with many of them may want an index on (`status`,
 * `time_finished`).
 */
export function countJobsStatements(
  table: string,
  since: { hourAgo: number; dayAgo: number },
  columns: CountedColumns,
): { statuses: Statement; done: Statement; timedOut: Statement } {
  return {
    statuses: {
      sql: `SELECT target, status, COUNT(*) AS count,
            ${columns.created ? "MIN(time_created)" : "NULL"} AS oldest,
            ${columns.attempts ? "SUM(attempts > 0)" : "NULL"} AS retried
       FROM ${table} WHERE status IN ${UNFINISHED_STATUSES_SQL} GROUP BY target, status`,
      params: [],
    },
    timedOut: {
      sql: `SELECT target, SUM(time_finished >= ?) AS hour, COUNT(*) AS day
       FROM ${table} WHERE status = 'done' AND result = 'fail' AND time_finished >= ?
        AND stderr LIKE ? GROUP BY target`,
      params: [since.hourAgo, since.dayAgo, `%${TIMED_OUT_NOTE_START}% s]`],
    },
    done: {
      sql: `SELECT target, result, SUM(time_finished >= ?) AS hour, COUNT(*) AS day
       FROM ${table} WHERE status = 'done' AND time_finished >= ? GROUP BY target, result`,
      params: [since.hourAgo, since.dayAgo],
    },
  };
}

/** Most targets one read of {@linkcode countWaitingStatements} names. */
export const WAITING_COUNT_TARGETS = 1000;

/**
 * `stats` with `only: "waiting"`: the `waiting` rows of `targets` per target,
 * from ranges of the `(status, target, id)` index alone (the whole `stats`
 * reads every unfinished row and the last day's done ones: 8.7 s on a table
 * of a million rows). One read per {@linkcode WAITING_COUNT_TARGETS} targets.
 */
export function countWaitingStatements(table: string, targets: readonly string[]): Statement[] {
  const statements: Statement[] = [];
  for (let start = 0; start < targets.length; start += WAITING_COUNT_TARGETS) {
    const part = targets.slice(start, start + WAITING_COUNT_TARGETS);
    statements.push({
      sql: `SELECT target, COUNT(*) AS count FROM ${table}
       WHERE status = 'waiting' AND target IN (${part.map(() => "?").join(", ")})
       GROUP BY target`,
      params: part,
    });
  }
  return statements;
}

/** What `stats` reads from a store, before it is added up per target. */
export interface StoreCounts {
  statuses: StatusCount[];
  done: DoneCount[];
  timedOut: TimedOutCount[];
}

/** The rows of {@linkcode countJobsStatements}' three reads, as counts. */
export function countsOf(
  statuses: readonly Record<string, unknown>[],
  done: readonly Record<string, unknown>[],
  timedOut: readonly Record<string, unknown>[],
): StoreCounts {
  return {
    statuses: statuses.map((row) => ({
      target: String(row.target),
      status: String(row.status),
      count: Number(row.count),
      oldest: row.oldest === null ? null : Number(row.oldest),
      retried: row.retried === null || row.retried === undefined ? null : Number(row.retried),
    })),
    timedOut: timedOut.map((row) => ({
      target: String(row.target),
      hour: Number(row.hour ?? 0),
      day: Number(row.day),
    })),
    done: done.map((row) => ({
      target: String(row.target),
      result: row.result === null ? null : String(row.result),
      hour: Number(row.hour),
      day: Number(row.day),
    })),
  };
}

/**
 * `retry`'s refusals, from the rows read of the ids asked for (`id`,
 * `target`, `status`): a missing or unfinished row gets its error; `retried`
 * lists the final ones, still to be updated.
 */
export function sortRetryRows(
  ids: readonly number[],
  rows: readonly Record<string, unknown>[],
): RetryOutcome {
  const found = new Map(rows.map((row) => [Number(row.id), row]));
  const outcome: RetryOutcome = { retried: [], errors: new Map() };
  for (const id of ids) {
    const row = found.get(id);
    const refusal = row === undefined ? `job ${id} not found` : retryRefusal(String(row.status));
    if (refusal !== undefined) outcome.errors.set(id, refusal);
    else outcome.retried.push({ id, target: String(row!.target) });
  }
  return outcome;
}

/**
 * `retry`'s UPDATE of final rows with `assignments`, guarded by the final
 * statuses; `ids` is the dialect's test of the ids (`id IN (?)`, `id = ?`).
 */
export function retryUpdateSql(table: string, assignments: string, ids: string): string {
  return `UPDATE ${table} SET ${assignments}
        WHERE ${ids} AND status IN ${FINAL_STATUSES_SQL}`;
}

/** `add`'s INSERT of one row, its columns quoted by the dialect's `quote`. */
export function insertSql(table: string, row: InsertRow, quote: (name: string) => string): string {
  const columns = row.columns.map(quote).join(", ");
  const placeholders = row.columns.map(() => "?").join(", ");
  return `INSERT INTO ${table} (${columns}) VALUES (${placeholders})`;
}
