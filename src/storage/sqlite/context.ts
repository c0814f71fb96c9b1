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
  /** The database file as opened: its path, and the device and inode it led to then. */
  readonly file?: OpenedFile;
}

/** A file as opened, to tell whether its path still leads to it. */
export interface OpenedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number | null;
}
