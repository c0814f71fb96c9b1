/** `retry`: final rows back to `waiting`. */

import { StorageError } from "../errors.ts";
import { retryRefusal } from "../control_values.ts";
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
    const found = new Map(rows.map((row) => [Number(row.id), row]));
    const outcome: RetryOutcome = { retried: [], errors: new Map() };
    for (const id of ids) {
      const row = found.get(id);
      const refusal = row === undefined ? `job ${id} not found` : retryRefusal(String(row.status));
      if (refusal !== undefined) {
        outcome.errors.set(id, refusal);
        continue;
      }
      const changed = connection.run(
        `UPDATE ${table} SET ${assignments} WHERE id = ? AND status IN ('done', 'ignored')`,
        id,
      );
      // The write lock is held from the read on: nothing can change the row in between.
      if (changed !== 1) throw new StorageError(`job ${id} changed during its retry`);
      outcome.retried.push({ id, target: String(row!.target) });
    }
    return outcome;
  });
}
