/** running -> done: jobs' final row writes. */

import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { FinishedJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ownerGuard } from "../owner_guard.ts";
import { inTransaction } from "./transaction.ts";
import { messageOf } from "../../text.ts";
import { fitOutput, type OutputColumnName } from "./output_fit.ts";

/**
 * Server errors about a value that does not fit its column (strict mode):
 * ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (a character the column's character set
 * lacks), ER_DATA_TOO_LONG. Such a row is written again without its output,
 * so the job's result is stored all the same.
 */
const UNFIT_VALUE_ERRNOS: ReadonlySet<number> = new Set([1366, 1406]);

/**
 * Most output (stdout and stderr, in UTF-16 code units) one multi-row
 * statement carries. A code unit is at most 3 bytes of UTF-8, and escaping
 * can double that: 512 Ki units stay within 3 MiB, below the smallest
 * default `max_allowed_packet` (4 MiB, MySQL 5.7). A single job's output
 * goes alone, however long.
 */
const MAX_STATEMENT_OUTPUT = 512 * 1024;

/** The columns of a final row write, and each one's value for a job. */
export const END_COLUMNS: readonly [
  string,
  (job: FinishedJob, fit: OutputFitter) => unknown,
][] = [
  ["time_finished", (job) => job.finishedAt],
  ["result", (job) => job.outcome.result],
  ["return_code", (job) => job.outcome.code],
  ["sig", (job) => job.outcome.signal],
  ["stdout", (job, fit) => fit("stdout", job.outcome.stdout)],
  ["stderr", (job, fit) => fit("stderr", job.outcome.stderr)],
];

/**
 * Writes each job's end (`done`, `time_finished`, `result`, `return_code`,
 * `sig`, `stdout`, `stderr`) to rows that are `running`. Jobs go in as few
 * autocommitted UPDATEs as their output allows, one for all of them as a
 * rule (`CASE id WHEN ... THEN ...` per column). Returns the ids whose row
 * was not `running` (left untouched).
 *
 * The server reports how many rows changed, not which: when fewer than all
 * did, one more read tells them apart (see `writtenBefore`), which also
 * recognises rows an earlier attempt of the same write stored before its
 * reply was lost.
 * Output a column cannot hold (strict mode) fails the whole statement; those
 * jobs are then written one by one, in one transaction, each with its output
 * replaced by an empty stdout and a notice in stderr saying why, or by NULLs
 * if even that does not fit.
 */
export async function markDone(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<number[]> {
  const notRunning: FinishedJob[] = [];
  for (const chunk of chunksByOutput(jobs)) {
    try {
      notRunning.push(...await writeEnds(context, chunk));
    } catch (error) {
      if (!isUnfitValue(error)) throw error;
      notRunning.push(
        ...await inTransaction(context, async (connection) => {
          const untouched: FinishedJob[] = [];
          for (const job of chunk) {
            if (!await writeEnd(connection, context, job)) untouched.push(job);
          }
          return untouched;
        }),
      );
    }
  }
  if (notRunning.length === 0) return [];
  const written = await writtenBefore(context, notRunning);
  return notRunning.filter((job) => !written.has(job.id)).map((job) => job.id);
}

/** Consecutive runs of jobs whose output together stays within `MAX_STATEMENT_OUTPUT`. */
function chunksByOutput(jobs: readonly FinishedJob[]): FinishedJob[][] {
  const chunks: FinishedJob[][] = [];
  let size = Infinity;
  for (const job of jobs) {
    const output = job.outcome.stdout.length + job.outcome.stderr.length;
    if (size + output > MAX_STATEMENT_OUTPUT) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(job);
    size += output;
  }
  return chunks;
}

/** Fits a job's output to one of the output columns. */
export type OutputFitter = (column: OutputColumnName, text: string) => string;

/** Output as the columns can hold it (`output_fit.ts`). */
export function fitter(context: MysqlContext): OutputFitter {
  return (column, text) => fitOutput(context.output[column], text);
}

/** One UPDATE for all of `jobs`; those whose row did not change (unless all did). */
async function writeEnds(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<FinishedJob[]> {
  const fit = fitter(context);
  const owned = ownerGuard(context);
  const cases = jobs.map(() => "WHEN ? THEN ?").join(" ");
  const values = END_COLUMNS.flatMap(([, value]) =>
    jobs.flatMap((job) => [job.id, value(job, fit)])
  );
  const update = await runQuery<ResultSetHeader>(
    context.pool,
    context.queryTimeoutMs,
    `UPDATE ${context.table} SET status = 'done', ${
      END_COLUMNS.map(([column]) => `${column} = CASE id ${cases} END`).join(", ")
    } WHERE id IN (?) AND status = 'running'${owned.sql}`,
    [...values, jobs.map((job) => job.id), ...owned.params],
  );
  return update.affectedRows === jobs.length ? [] : [...jobs];
}

/**
 * The ids of `jobs` whose row is `done` with the `time_finished`, `result`,
 * `return_code` and `sig` of the job (and owned by this worker, when
 * tracked): rows this write, or an earlier attempt of it, stored.
 */
export async function writtenBefore(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<Set<number>> {
  const owned = ownerGuard(context);
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    `SELECT id FROM ${context.table} WHERE status = 'done'${owned.sql} AND (${
      jobs.map(() =>
        "(id = ? AND time_finished = ? AND result = ? AND return_code <=> ? AND sig <=> ?)"
      ).join(" OR ")
    })`,
    [
      ...owned.params,
      ...jobs.flatMap(({ id, finishedAt, outcome }) => [
        id,
        finishedAt,
        outcome.result,
        outcome.code,
        outcome.signal,
      ]),
    ],
  );
  return new Set(rows.map((row) => Number(row.id)));
}

/** One job's UPDATE, its output narrowed until the columns take it; false if not `running`. */
async function writeEnd(
  connection: PoolConnection,
  context: MysqlContext,
  job: FinishedJob,
): Promise<boolean> {
  const { outcome } = job;
  const fit = fitter(context);
  const owned = ownerGuard(context);
  const write = async (stdout: string | null, stderr: string | null) => {
    const update = await runQuery<ResultSetHeader>(
      connection,
      context.queryTimeoutMs,
      `UPDATE ${context.table}
          SET status = 'done', time_finished = ?, result = ?, return_code = ?, sig = ?,
              stdout = ?, stderr = ?
        WHERE id = ? AND status = 'running'${owned.sql}`,
      [
        job.finishedAt,
        outcome.result,
        outcome.code,
        outcome.signal,
        stdout,
        stderr,
        job.id,
        ...owned.params,
      ],
    );
    return update.affectedRows === 1;
  };
  try {
    return await write(fit("stdout", outcome.stdout), fit("stderr", outcome.stderr));
  } catch (error) {
    if (!isUnfitValue(error)) throw error;
    // Only the failed statement was rolled back; the transaction goes on.
    const notice = `[jobd: output not stored: ${messageOf(error)}]`;
    try {
      return await write("", notice);
    } catch (noticeError) {
      if (!isUnfitValue(noticeError)) throw noticeError;
      return await write(null, null);
    }
  }
}

/** Whether `error` is the server's refusal of a value its column cannot hold. */
export function isUnfitValue(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" && UNFIT_VALUE_ERRNOS.has(errno);
}
