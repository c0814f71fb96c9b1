/** `retry`: final rows back to `waiting`. */

import { StorageError } from "../errors.ts";
import { retryUpdateSql, sortRetryRows } from "../control_sql.ts";
import type { RetryOutcome } from "../job_control.ts";
import type { SqliteContext } from "./context.ts";

/**
 * In one `BEGIN IMMEDIATE` transaction: reads the rows, refuses each that is
 * missing or not final, and sets each final one with `assignments` by an
 * UPDATE guarded by the final statuses.
 */
export function retryJobs(
  context: SqliteContext,
  ids: readonly number[],
  assignments: string,
): RetryOutcome {
  const { connection, table } = context;
  return connection.immediate(() => {
    const rows = connection.all(
      `SELECT id, target, status FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(ids),
    );
    const outcome = sortRetryRows(ids, rows);
    const update = retryUpdateSql(table, assignments, "id = ?");
    for (const { id } of outcome.retried) {
      // The write lock is held from the read on: nothing can change the row in between.
      if (connection.run(update, id) !== 1) {
        throw new StorageError(`job ${id} changed during its retry`);
      }
    }
    return outcome;
  });
}
