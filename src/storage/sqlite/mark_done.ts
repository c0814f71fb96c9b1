/** running -> done: a job's final row write. */

import type { FinishedJob } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Writes each job's end (`done`, `time_finished`, `result`, `return_code`,
 * `sig`, `stdout`, `stderr`) to rows that are `running`, all in one
 * transaction. Returns the ids whose row was not `running` (left untouched).
 */
export function markDone(context: SqliteContext, jobs: readonly FinishedJob[]): number[] {
  if (jobs.length === 0) return [];
  const { connection, table } = context;
  return connection.immediate(() => {
    const notRunning: number[] = [];
    for (const { id, finishedAt, outcome } of jobs) {
      const changed = connection.run(
        `UPDATE ${table}
            SET status = 'done', time_finished = ?, result = ?, return_code = ?, sig = ?,
                stdout = ?, stderr = ?
          WHERE id = ? AND status = 'running'`,
        finishedAt,
        outcome.result,
        outcome.code,
        outcome.signal,
        outcome.stdout,
        outcome.stderr,
        id,
      );
      if (changed !== 1) notRunning.push(id);
    }
    return notRunning;
  });
}
