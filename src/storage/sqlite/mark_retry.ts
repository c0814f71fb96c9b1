/** running -> delayed: a failed attempt of a job that has attempts left. */

import type { FinishedJob } from "../job_store.ts";
import { ownerGuard } from "../owner_guard.ts";
import type { SqliteContext } from "./context.ts";
import { OUTCOME_ASSIGNMENTS, outcomeValues } from "./mark_done.ts";

/**
 * Writes each job's attempt (`time_finished`, `result`, `return_code`, `sig`,
 * `stdout`, `stderr`) and sets the row `delayed` with `time_run_at` = its
 * `retryAt`, for rows that are `running` (and ours, when tracked), in one
 * transaction. Returns the ids whose row was not `running`; a row already
 * `delayed` with this `time_run_at` and `time_finished` counts as written.
 */
export function markRetry(context: SqliteContext, jobs: readonly FinishedJob[]): number[] {
  const { connection, table } = context;
  const owned = ownerGuard(context);
  return connection.immediate(() =>
    jobs.filter(({ id, outcome, finishedAt, retryAt }) =>
      connection.run(
          `UPDATE ${table} SET status = 'delayed', time_run_at = ?, ${OUTCOME_ASSIGNMENTS}
            WHERE id = ? AND status = 'running'${owned.sql}`,
          retryAt!,
          ...outcomeValues(finishedAt, outcome),
          id,
          ...owned.params,
        ) !== 1 &&
      connection.all(
          `SELECT id FROM ${table}
            WHERE id = ? AND status = 'delayed' AND time_run_at = ? AND time_finished = ?${owned.sql}`,
          id,
          retryAt!,
          finishedAt,
          ...owned.params,
        ).length === 0
    ).map((job) => job.id)
  );
}
