/**
 * The SQLite implementation of `JobStore`, on Deno's built-in `node:sqlite`:
 * the embedded storage for a single host and quick starts. Each SQL
 * operation lives in its own module under `sqlite/`; this module opens the
 * file, checks the table and waits out other connections' locks, and
 * `JobStoreBase` turns driver errors into `StorageError`s that name the
 * operation, the jobs, the table and the file.
 *
 * The file is put in WAL mode, so applications read and insert rows while
 * the worker claims: readers never wait, and writers wait for each other at
 * most `busyTimeoutMs`. Give your application's connection a busy timeout
 * too (`PRAGMA busy_timeout = 5000`).
 */

import { getLogger } from "@logtape/logtape";
import { basename, dirname } from "node:path";
import { isLockConflict, StorageError } from "./errors.ts";
import { messageOf } from "../text.ts";
import { retryWhileBusy } from "./sqlite/busy.ts";
import { claimManual } from "./sqlite/claim_manual.ts";
import { claimWaiting } from "./sqlite/claim_waiting.ts";
import { unclaimableIdSql, warnUnclaimableIds } from "./claimable_ids.ts";
import { sqliteControl } from "./sqlite/control.ts";
import { SqliteConnection } from "./sqlite/connection.ts";
import type { SqliteContext } from "./sqlite/context.ts";
import { findLeftBehind } from "./sqlite/find_left_behind.ts";
import { quoteIdentifier } from "./sqlite/identifier.ts";
import { inspectTable, SQLITE_SCHEMA_FILE } from "./sqlite/inspect_table.ts";
import { markDone } from "./sqlite/mark_done.ts";
import { markRunning } from "./sqlite/mark_running.ts";
import { markRunningAndDone } from "./sqlite/mark_running_and_done.ts";
import { releaseJobs } from "./sqlite/release_jobs.ts";
import { countDelayed } from "./sqlite/count_delayed.ts";
import { ping } from "./sqlite/ping.ts";
import { markRetry } from "./sqlite/mark_retry.ts";
import { promoteDelayed } from "./sqlite/promote_delayed.ts";
import { logTimeFeatures } from "./time_features_log.ts";
import { JobStoreBase, type MaybePromise } from "./store_base.ts";

/**
 * Longest an operation waits for another connection's write lock before it
 * fails with a transient `StorageError`, unless `busyTimeoutMs` says
 * otherwise: 5000 ms.
 */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

/** Where the jobs table is and who is claiming from it. */
export interface SqliteStoreOptions {
  /** The database file (`sqlite_path`). It must exist and hold the table. */
  path: string;
  /** The jobs table (`mysql_table`); any name, quoted as an identifier. */
  table: string;
  /** This worker's name, recorded in the optional `worker` column. */
  workerName: string;
  /** Longest wait for another connection's lock, ms (default `DEFAULT_SQLITE_BUSY_TIMEOUT_MS`). */
  busyTimeoutMs?: number;
}

/**
 * Opens the database file, switches it to WAL mode (a setting the file
 * keeps) and checks the table. A missing file, a file that is not a
 * database, one that cannot use WAL, a missing table or a missing required
 * column is a `StorageError` naming the file and the table. The table is
 * never created: applications own the schema (`examples/schema.sqlite.sql`).
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const logger = getLogger(["jobd", "storage"]);
  const { path, table: tableName, workerName } = options;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  if (!Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StorageError(
      `Cannot open the job store: the busy timeout must be a number of ms ≥ 0, got ${busyTimeoutMs}`,
    );
  }
  const table = quoteIdentifier(tableName);
  const file = `SQLite file '${path}'`;
  const info = await checkFile(path, file);
  let connection: SqliteConnection;
  try {
    connection = new SqliteConnection(path);
  } catch (error) {
    throw new StorageError(`Cannot open the ${file}: ${describeSqliteError(error, { path })}`, {
      cause: error,
    });
  }
  const where = `table '${tableName}' of ${file}`;
  try {
    const journal = await retryWhileBusy(
      () => String(connection.get("PRAGMA journal_mode = WAL")?.journal_mode),
      { timeoutMs: busyTimeoutMs },
    );
    if (journal.toLowerCase() !== "wal") {
      throw new StorageError(
        `Cannot use the ${file}: it cannot be switched to WAL journal mode (it is in ` +
          `'${journal}' mode), without which applications could not insert jobs while the ` +
          `worker claims them`,
      );
    }
    const shape = inspectTable(connection, { tableName, where });
    const context: SqliteContext = {
      connection,
      table,
      workerName,
      tracksOwner: shape.tracksOwner,
      time: shape.time,
      file: { path, dev: info.dev, ino: info.ino },
    };
    logger.info("Using the {where} in WAL mode", { where });
    if (!context.tracksOwner) {
      logger.info(
        "The table '{table}' has no 'worker' column: jobs left behind by a crash cannot be " +
          "found at start-up",
        { table: tableName },
      );
    }
    logTimeFeatures(logger, tableName, shape.time, "sqlite");
    const unclaimable = connection.get(unclaimableIdSql(table, "TEXT"));
    if (unclaimable !== undefined) {
      warnUnclaimableIds(logger, {
        where,
        id: String(unclaimable.id),
        renumber: "lower the table's entry in sqlite_sequence",
      });
    }
    return new SqliteStore(context, { tableName, path, busyTimeoutMs });
  } catch (error) {
    connection.close();
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `Cannot open the job store on the ${where}: ${
        describeSqliteError(error, { busyTimeoutMs, path })
      }`,
      { cause: error },
    );
  }
}

/** Throws a `StorageError` when `path` is not an existing file; returns its details. */
async function checkFile(path: string, file: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new StorageError(
        `Cannot open the ${file}: it does not exist (create it and its jobs table with ` +
          `${SQLITE_SCHEMA_FILE})`,
      );
    }
    throw new StorageError(`Cannot open the ${file}: ${describeSqliteError(error)}`, {
      cause: error,
    });
  }
  if (!info.isFile) throw new StorageError(`Cannot open the ${file}: it is not a file`);
  return info;
}

/** The jobs table of an SQLite file, as a `JobStore`. Made by `openSqliteStore`. */
export class SqliteStore extends JobStoreBase<SqliteContext> {
  readonly #context: SqliteContext;
  readonly #busyTimeoutMs: number;

  /** The database file, as configured. */
  readonly path: string;

  /** Use `openSqliteStore`. */
  constructor(
    context: SqliteContext,
    settings: { tableName: string; path: string; busyTimeoutMs: number },
  ) {
    super(
      context,
      {
        claimWaiting,
        claimManual,
        markRunning,
        markDone,
        markRunningAndDone,
        releaseJobs,
        findLeftBehind,
        markRetry,
        promoteDelayed,
        countDelayed,
        ping,
      },
      { tableName: settings.tableName, container: `SQLite file '${settings.path}'` },
      sqliteControl,
    );
    this.#context = context;
    this.#busyTimeoutMs = settings.busyTimeoutMs;
    this.path = settings.path;
  }

  /**
   * Runs `operation` (synchronous: one statement or one whole transaction)
   * again while another connection holds the lock, for at most the busy
   * timeout, letting the event loop run between attempts.
   */
  protected override async attempt<T>(operation: () => MaybePromise<T>): Promise<T> {
    return await retryWhileBusy(operation, { timeoutMs: this.#busyTimeoutMs });
  }

  /** The driver's message; for a lock that outlasted the busy timeout, what that means. */
  protected override describeError(error: unknown): string {
    return describeSqliteError(error, { busyTimeoutMs: this.#busyTimeoutMs, path: this.path });
  }

  /** Closes the file. */
  protected override closeConnections(): void {
    this.#context.connection.close();
  }
}

/**
 * The readable part of an SQLite error; for a lock that outlasted the busy
 * timeout, what that means; for a database SQLite could only read (the file's
 * or its directory's permissions), what the worker needs.
 */
export function describeSqliteError(
  error: unknown,
  options: { busyTimeoutMs?: number; path?: string } = {},
): string {
  const { busyTimeoutMs, path } = options;
  if (busyTimeoutMs !== undefined && isLockConflict(error)) {
    return `another connection kept the database locked for more than ${busyTimeoutMs} ms`;
  }
  const message = messageOf(error) || (error instanceof Error ? error.name : "");
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (path !== undefined && typeof errcode === "number" && (errcode & 0xff) === SQLITE_READONLY) {
    return `${message} (the worker's user must be able to write the file and its directory ` +
      `'${dirname(path)}', where SQLite creates '${basename(path)}-wal' and ` +
      `'${basename(path)}-shm')`;
  }
  return message;
}

/** SQLite's primary result code of a write to a database it opened read-only. */
const SQLITE_READONLY = 8;
