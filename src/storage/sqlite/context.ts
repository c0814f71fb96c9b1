/** What every SQL operation of the SQLite store needs to know. */

import type { TimeColumnsFound } from "../time_columns.ts";
import type { SqliteConnection } from "./connection.ts";

/** Shared, read-only settings of one open SQLite store. */
export interface SqliteContext {
  /** The store's connection. */
  readonly connection: SqliteConnection;
  /** The table name quoted as an SQL identifier. */
  readonly table: string;
  /** Written to the `worker` column of claimed rows when `tracksOwner`. */
  readonly workerName: string;
  /** Whether the table has the optional `worker` column. */
  readonly tracksOwner: boolean;
  /** The optional time columns of the table (deferred jobs, timeouts, retries). */
  readonly time: TimeColumnsFound;
}
