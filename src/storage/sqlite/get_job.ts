/** `job`: one row with every column. */

import type { SqliteContext } from "./context.ts";

/** Row `id` with every column as the driver reads it, or undefined. */
export function getJob(context: SqliteContext, id: number): Record<string, unknown> | undefined {
  const row = context.connection.get(`SELECT * FROM ${context.table} WHERE id = ?`, id);
  return row === undefined ? undefined : { ...row };
}
