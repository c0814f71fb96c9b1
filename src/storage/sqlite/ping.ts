/** Whether the database answers: the cheapest statement on the jobs table. */

import type { SqliteContext } from "./context.ts";

/**
 * Reads at most one row's constant from the jobs table: returns when the
 * file and the table are readable, throws otherwise.
 */
export function ping(context: SqliteContext): void {
  context.connection.get(`SELECT 1 FROM ${context.table} LIMIT 1`);
}
