/** What every SQL operation of the MySQL store needs to know. */

import type { Pool } from "mysql2/promise";
import type { TimeColumnsFound } from "../time_columns.ts";
import type { OutputColumns } from "./output_fit.ts";

/** Shared, read-only settings of one open MySQL store. */
export interface MysqlContext {
  /** The connection pool. */
  readonly pool: Pool;
  /**
   * How long one statement may wait for the server, in milliseconds, before
   * it fails with a `QueryTimeout` (and its connection is closed).
   */
  readonly queryTimeoutMs: number;
  /** The table name as configured, for messages. */
  readonly tableName: string;
  /** The table name quoted as an SQL identifier. */
  readonly table: string;
  /** Written to the `worker` column of claimed rows when `tracksOwner`. */
  readonly workerName: string;
  /** Whether the table has the optional `worker` column. */
  readonly tracksOwner: boolean;
  /** The optional time columns of the table (deferred jobs, timeouts, retries). */
  readonly time: TimeColumnsFound;
  /** Whether claims may use `FOR UPDATE SKIP LOCKED`. */
  readonly skipLocked: boolean;
  /** What the `stdout` and `stderr` columns hold (output is fitted to them: `output_fit.ts`). */
  readonly output: OutputColumns;
}
