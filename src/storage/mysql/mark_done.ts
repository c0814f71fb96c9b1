/** running -> done: a job's final row write. */

import type { Pool, PoolConnection, ResultSetHeader } from "mysql2/promise";
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
 * Writes each job's end (`done`, `time_finished`, `result`, `return_code`,
 * `sig`, `stdout`, `stderr`) to rows that are `running`, all in one
 * transaction (a single row is one autocommitted UPDATE: most batches are
 * one row, and a transaction would triple its statements). Returns the ids
 * whose row was not `running` (left untouched).
 * Output a column cannot hold (strict mode) is replaced by an empty stdout and
 * a notice in stderr saying why, or by NULLs if even that does not fit.
 */
export async function markDone(
  context: MysqlContext,
  jobs: readonly FinishedJob[],
): Promise<number[]> {
  if (jobs.length === 0) return [];
  if (jobs.length === 1) {
    return await writeEnd(context.pool, context, jobs[0]) ? [] : [jobs[0].id];
  }
  return await inTransaction(context, async (connection) => {
    const notRunning: number[] = [];
    for (const job of jobs) {
      if (!await writeEnd(connection, context, job)) notRunning.push(job.id);
    }
    return notRunning;
  });
}

async function writeEnd(
  connection: Pool | PoolConnection,
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
