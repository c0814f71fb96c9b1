/**
 * The MySQL/MariaDB implementation of `JobStore`, on a mysql2 connection
 * pool. Each SQL operation lives in its own module under `mysql/`; this
 * module opens the store and checks the table, and `JobStoreBase` turns
 * driver errors into `StorageError`s that name the operation, the jobs and
 * the table.
 */

import { getLogger } from "@logtape/logtape";
import type { RowDataPacket } from "mysql2/promise";
import { StorageError } from "./errors.ts";
import { claimManual } from "./mysql/claim_manual.ts";
import { claimWaiting } from "./mysql/claim_waiting.ts";
import { mysqlControl } from "./mysql/control.ts";
import type { MysqlContext } from "./mysql/context.ts";
import { findLeftBehind } from "./mysql/find_left_behind.ts";
import { quoteIdentifier } from "./mysql/identifier.ts";
import { checkPrivileges } from "./mysql/check_privileges.ts";
import { inspectTable } from "./mysql/inspect_table.ts";
import { unclaimableIdSql, warnUnclaimableIds } from "./claimable_ids.ts";
import { markDone } from "./mysql/mark_done.ts";
import { markRunning } from "./mysql/mark_running.ts";
import { markRunningAndDone } from "./mysql/mark_running_and_done.ts";
import { createPool, describeDriverError, type MysqlServerAddress } from "./mysql/pool.ts";
import { QueryTimeout, runQuery } from "./mysql/query.ts";
import { releaseJobs } from "./mysql/release_jobs.ts";
import { countDelayed } from "./mysql/count_delayed.ts";
import { ping } from "./mysql/ping.ts";
import { markRetry } from "./mysql/mark_retry.ts";
import { promoteDelayed } from "./mysql/promote_delayed.ts";
import { logTimeFeatures } from "./time_features_log.ts";
import {
  parseServerVersion,
  type ServerVersion,
  supportsSkipLocked,
} from "./mysql/server_version.ts";
import { JobStoreBase, type MaybePromise } from "./store_base.ts";
import type { TargetColumn } from "../target_names.ts";

/** Connections the pool opens at most, unless `poolSize` says otherwise. */
export const DEFAULT_POOL_SIZE = 4;

/**
 * How long one statement may wait for the server, in milliseconds, unless
 * `queryTimeoutMs` says otherwise. Without a limit, a statement sent to a host
 * that stops answering without closing TCP (a network partition, a frozen
 * server) waits for hours. Claims and writes take milliseconds; the limit is
 * there to turn such a silence into a transient error the worker retries.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** Where the jobs table is and who is claiming from it. */
export interface MysqlStoreOptions extends MysqlServerAddress {
  /** The jobs table (`mysql_table`); any name, quoted as an identifier. */
  table: string;
  /** This worker's name, recorded in the optional `worker` column. */
  workerName: string;
  /** Most connections open at once (default `DEFAULT_POOL_SIZE`). */
  poolSize?: number;
  /**
   * How long one statement may wait for the server, in milliseconds (default
   * `DEFAULT_QUERY_TIMEOUT_MS`). A statement that takes longer fails the
   * operation with a transient `StorageError` ("the query timed out after N
   * s"), and its connection is closed, never reused.
   */
  queryTimeoutMs?: number;
}

/**
 * Connects, reads the server version (to choose `FOR UPDATE SKIP LOCKED` on
 * MySQL ≥ 8.0.1 and MariaDB ≥ 10.6, plain `FOR UPDATE` before), and checks the
 * table: a missing table, a missing required column, a `status` column that
 * cannot hold every status, a `worker` column too short for `workerName`, or
 * a user without SELECT or UPDATE on the table is a `StorageError` naming the
 * table and database. A
 * server that cannot be reached, or does not answer within `queryTimeoutMs`,
 * is a `StorageError` too, for which `isTransientStorageError` is true.
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<MysqlStore> {
  const logger = getLogger(["jobd", "storage"]);
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new StorageError(
      `Cannot open the job store: the pool size must be at least 1, got ${poolSize}`,
    );
  }
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  if (!Number.isFinite(queryTimeoutMs) || queryTimeoutMs < 1) {
    throw new StorageError(
      `Cannot open the job store: the query timeout must be at least 1 ms, got ${queryTimeoutMs}`,
    );
  }
  const table = quoteIdentifier(options.table);
  const pool = createPool({ ...options, poolSize, queryTimeoutMs }, logger);
  const where = `table '${options.table}' of database '${options.database}' at ` +
    `${options.host}:${options.port}`;
  try {
    const rows = await runQuery<RowDataPacket[]>(
      pool,
      queryTimeoutMs,
      "SELECT VERSION() AS version",
    );
    const version = parseServerVersion(String(rows[0].version));
    const shape = await inspectTable(pool, {
      database: options.database,
      tableName: options.table,
      workerName: options.workerName,
      queryTimeoutMs,
    });
    await checkPrivileges(pool, {
      table,
      where: `table '${options.table}' of database '${options.database}'`,
      tracksOwner: shape.tracksOwner,
      queryTimeoutMs,
    });
    const context: MysqlContext = {
      pool,
      queryTimeoutMs,
      tableName: options.table,
      table,
      workerName: options.workerName,
      tracksOwner: shape.tracksOwner,
      skipLocked: supportsSkipLocked(version),
      output: shape.output,
      time: shape.time,
    };
    const server = `${version.product} ${version.text}`;
    if (context.skipLocked) {
      logger.info("Using the {where} on {server}: claims lock rows with FOR UPDATE SKIP LOCKED", {
        where,
        server,
      });
    } else {
      logger.warn(
        "Using the {where} on {server}, which lacks SKIP LOCKED: claims use FOR UPDATE, " +
          "so workers claiming the same target wait for each other",
        { where, server },
      );
    }
    if (!context.tracksOwner) {
      logger.info(
        "The table '{table}' has no 'worker' column: jobs left behind by a crash cannot be " +
          "found at start-up",
        { table: options.table },
      );
    }
    logTimeFeatures(logger, options.table, shape.time, "mysql");
    const [unclaimable] = await runQuery<RowDataPacket[]>(
      pool,
      queryTimeoutMs,
      unclaimableIdSql(table, "CHAR"),
    );
    if (unclaimable !== undefined) {
      warnUnclaimableIds(logger, {
        where,
        id: String(unclaimable.id),
        renumber: "lower the table's AUTO_INCREMENT",
      });
    }
    return new MysqlStore(context, version, options.database, shape.target);
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `Cannot open the job store on the ${where}: ${describeDriverError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The jobs table of a MySQL or MariaDB server, as a `JobStore`. Made by `openMysqlStore`. */
export class MysqlStore extends JobStoreBase<MysqlContext> {
  readonly #context: MysqlContext;

  /** The server's product and version, read at open. */
  readonly serverVersion: ServerVersion;

  /** What the table's `target` column can hold, read at open. */
  readonly targetColumn: TargetColumn;

  /** Use `openMysqlStore`. */
  constructor(
    context: MysqlContext,
    serverVersion: ServerVersion,
    database: string,
    targetColumn: TargetColumn,
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
      { tableName: context.tableName, container: `database '${database}'` },
      mysqlControl,
    );
    this.#context = context;
    this.serverVersion = serverVersion;
    this.targetColumn = targetColumn;
  }

  /** Whether claims use `FOR UPDATE SKIP LOCKED` (else plain `FOR UPDATE`). */
  get skipLocked(): boolean {
    return this.#context.skipLocked;
  }

  /** Runs `operation` once: its transaction retries lock conflicts itself. */
  protected override async attempt<T>(operation: () => MaybePromise<T>): Promise<T> {
    return await operation();
  }

  /** The driver's message; for a connection to several addresses, each one's. */
  protected override describeError(error: unknown): string {
    return describeDriverError(error);
  }

  /**
   * Ends the pool. A statement still running holds its connection's end back
   * for at most `queryTimeoutMs`; if it times out, mysql2 reports that as the
   * pool's failure to end, but the connection is closed all the same, which
   * is all `close()` is for.
   */
  protected override async closeConnections(): Promise<void> {
    await this.#context.pool.end().catch((error: unknown) => {
      if (!(error instanceof QueryTimeout)) throw error;
    });
  }
}
