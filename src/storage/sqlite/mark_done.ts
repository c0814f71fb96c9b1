/** running -> done: a job's final row write. */

import type { JobOutcome } from "../../job.ts";
import type { FinishedJob } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";
import { ownerGuard } from "../owner_guard.ts";

/** The columns of an attempt's end, as `SET` assignments (`outcomeValues` in order). */
export const OUTCOME_ASSIGNMENTS =
  "time_finished = ?, result = ?, return_code = ?, sig = ?, stdout = ?, stderr = ?";

/** The values of {@linkcode OUTCOME_ASSIGNMENTS}. */
export function outcomeValues(
  finishedAt: number,
  outcome: JobOutcome,
): [number, string, number | null, string | null, string, string] {
  return [finishedAt, outcome.result, outcome.code, outcome.signal, outcome.stdout, outcome.stderr];
}

/**
 * Writes each job's end (`done`, `time_finished`, `result`, `return_code`,
 * `sig`, `stdout`, `stderr`) to rows that are `running`, all in one
 * transaction. Returns the ids whose row was not `running` (left untouched);
 * a row already `done` with the `time_finished`, `result`, `return_code` and
 * `sig` given (and owned by this worker, when tracked) counts as written, as
 * in the MySQL store.
 */
export function markDone(context: SqliteContext, jobs: readonly FinishedJob[]): number[] {
  if (jobs.length === 0) return [];
  return context.connection.immediate(() => writeEnds(context, jobs));
}

/** `markDone`'s changes, in the caller's transaction. */
export function writeEnds(context: SqliteContext, jobs: readonly FinishedJob[]): number[] {
  const { connection, table } = context;
  const owned = ownerGuard(context);
  const writtenBefore = (id: number, finishedAt: number, outcome: JobOutcome) =>
    connection.all(
      `SELECT id FROM ${table}
        WHERE id = ? AND status = 'done' AND time_finished = ? AND result = ?
          AND return_code IS ? AND sig IS ?${owned.sql}`,
      id,
      finishedAt,
      outcome.result,
      outcome.code,
      outcome.signal,
      ...owned.params,
    ).length === 1;
  const notRunning: number[] = [];
  for (const { id, finishedAt, outcome } of jobs) {
    const changed = connection.run(
      `UPDATE ${table} SET status = 'done', ${OUTCOME_ASSIGNMENTS}
        WHERE id = ? AND status = 'running'${owned.sql}`,
      ...outcomeValues(finishedAt, outcome),
      id,
      ...owned.params,
    );
    if (changed !== 1 && !writtenBefore(id, finishedAt, outcome)) notRunning.push(id);
  }
  return notRunning;
}
