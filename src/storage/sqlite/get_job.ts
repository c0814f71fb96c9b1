/** `job`: one row with every column. */

import { getJobSql } from "../control_sql.ts";
import type { SqliteContext } from "./context.ts";

/** Row `id` with every column as the driver reads it, or undefined. */
export function getJob(context: SqliteContext, id: number): Record<string, unknown> | undefined {
  const row = context.connection.get(getJobSql(context.table), id);
  return row === undefined ? undefined : { ...row };
}
