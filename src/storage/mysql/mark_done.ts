/** running -> done: a job's final row write. */

import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { FinishedJob } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { inTransaction } from "./transaction.ts";

/**
 * Server errors about a value that does not fit its column (strict mode):
 * ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (a character the column's character set
 * lacks), ER_DATA_TOO_LONG. Such a row is written again without its output,
 * so the job's result is stored all the same.
 */
const UNFIT_VALUE_ERRNOS: ReadonlySet<number> = new Set([1366, 1406]);

/**
 * Most output (stdout and stderr, in UTF-16 code units) one multi-row
 * statement carries, well below the server's smallest default
 * `max_allowed_packet` (4 MiB on MySQL 5.7) even when escaping doubles it.
 */
const MAX_STATEMENT_OUTPUT = 1024 * 1024;

/**
 * Writes each job's end (`done`, `time_finished`, `result`, `return_code`,
 * `sig`, `stdout`, `stderr`) to rows that are `running`. Jobs go in as few
 * autocommitted UPDATEs as their output allows, one for all of them as a
 * rule (`CASE id WHEN ... THEN ...` per column). Returns the ids whose row
 * was not `running` (left untouched).
 *
 * The server reports how many rows changed, not which: when fewer than all
 * did (a row changed under us, which is rare), one more read tells them
 * apart, taking a row as ours when it is `done` with the `time_finished`,
 * `result`, `return_code` and `sig` we wrote.
 * Output a column cannot hold (strict mode) fails the whole statement; those
 * jobs are then written one by one, in one transaction, each with its output
 * replaced by an empty stdout and a notice in stderr saying why, or by NULLs
 * if even that does not fit.
 */
export async function markDone(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<number[]> {
  const notRunning: number[] = [];
  for (const chunk of chunksByOutput(jobs)) {
    try {
      notRunning.push(...await writeEnds(context, chunk));
    } catch (error) {
      if (!isUnfitValue(error)) throw error;
      notRunning.push(
        ...await inTransaction(context, async (connection) => {
          const untouched: number[] = [];
          for (const job of chunk) {
            if (!await writeEnd(connection, context, job)) untouched.push(job.id);
          }
          return untouched;
        }),
      );
    }
  }
  return notRunning;
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

/** One UPDATE for all of `jobs`; the ids whose row was not `running`. */
async function writeEnds(context: MysqlContext, jobs: readonly FinishedJob[]): Promise<number[]> {
  const { pool, queryTimeoutMs, table } = context;
  const fit = (text: string) => context.narrowOutput ? replaceAstral(text) : text;
  const columns: [string, (job: FinishedJob) => unknown][] = [
    ["time_finished", (job) => job.finishedAt],
    ["result", (job) => job.outcome.result],
    ["return_code", (job) => job.outcome.code],
    ["sig", (job) => job.outcome.signal],
    ["stdout", (job) => fit(job.outcome.stdout)],
    ["stderr", (job) => fit(job.outcome.stderr)],
  ];
  const cases = jobs.map(() => "WHEN ? THEN ?").join(" ");
  const values = columns.flatMap(([, value]) => jobs.flatMap((job) => [job.id, value(job)]));
  const ids = jobs.map((job) => job.id);
  const update = await runQuery<ResultSetHeader>(
    pool,
    queryTimeoutMs,
    `UPDATE ${table} SET status = 'done', ${
      columns.map(([column]) => `${column} = CASE id ${cases} END`).join(", ")
    } WHERE id IN (?) AND status = 'running'`,
    [...values, ids],
  );
  if (update.affectedRows === jobs.length) return [];
  const rows = await runQuery<RowDataPacket[]>(
    pool,
    queryTimeoutMs,
    `SELECT id FROM ${table} WHERE status = 'done' AND (${
      jobs.map(() =>
        "(id = ? AND time_finished = ? AND result = ? AND return_code <=> ? AND sig <=> ?)"
      ).join(" OR ")
    })`,
    jobs.flatMap((
      { id, finishedAt, outcome },
    ) => [id, finishedAt, outcome.result, outcome.code, outcome.signal]),
  );
  const stored = new Set(rows.map((row) => Number(row.id)));
  return ids.filter((id) => !stored.has(id));
}

/** One job's UPDATE, its output narrowed until the columns take it; false if not `running`. */
async function writeEnd(
  connection: PoolConnection,
  context: MysqlContext,
  job: FinishedJob,
): Promise<boolean> {
  const { outcome } = job;
  const fit = (text: string) => context.narrowOutput ? replaceAstral(text) : text;
  const write = async (stdout: string | null, stderr: string | null) => {
    const update = await runQuery<ResultSetHeader>(
      connection,
      context.queryTimeoutMs,
      `UPDATE ${context.table}
          SET status = 'done', time_finished = ?, result = ?, return_code = ?, sig = ?,
              stdout = ?, stderr = ?
        WHERE id = ? AND status = 'running'`,
      [job.finishedAt, outcome.result, outcome.code, outcome.signal, stdout, stderr, job.id],
    );
    return update.affectedRows === 1;
  };
  try {
    return await write(fit(outcome.stdout), fit(outcome.stderr));
  } catch (error) {
    if (!isUnfitValue(error)) throw error;
    // Only the failed statement was rolled back; the transaction goes on.
    const notice = `[jobd: output not stored: ${(error as Error).message}]`;
    try {
      return await write("", notice);
    } catch (noticeError) {
      if (!isUnfitValue(noticeError)) throw noticeError;
      return await write(null, null);
    }
  }
}

function isUnfitValue(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" && UNFIT_VALUE_ERRNOS.has(errno);
}

/** Replaces characters outside the Basic Multilingual Plane, which 3-byte UTF-8 lacks, by U+FFFD. */
export function replaceAstral(text: string): string {
  return text.replace(/[\u{10000}-\u{10FFFF}]/gu, "\uFFFD");
}
