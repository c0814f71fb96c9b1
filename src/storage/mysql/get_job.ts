/** `job`: one row with every column. */

import type { RowDataPacket } from "mysql2/promise";
import { getJobSql } from "../control_sql.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/** Row `id` with every column as the driver reads it, or undefined. */
export async function getJob(
  context: MysqlContext,
  id: number,
): Promise<Record<string, unknown> | undefined> {
  const rows = await runQuery<RowDataPacket[]>(
    context.pool,
    context.queryTimeoutMs,
    getJobSql(context.table),
    [id],
  );
  return rows[0] === undefined ? undefined : { ...rows[0] };
}
