/** Whether the database answers: the cheapest statement on the jobs table. */

import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";

/** How long `ping` waits for the server, in milliseconds (the health check waits no longer). */
const PING_TIMEOUT_MS = 5_000;

/**
 * Reads at most one row's constant from the jobs table: resolves when the
 * server answers and the table is there, throws otherwise. Takes no lock.
 */
export async function ping(context: MysqlContext): Promise<void> {
  await runQuery(
    context.pool,
    Math.min(PING_TIMEOUT_MS, context.queryTimeoutMs),
    `SELECT 1 FROM ${context.table} LIMIT 1`,
  );
}
