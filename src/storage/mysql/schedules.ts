/** The job board's tables on MySQL/MariaDB: a small pool of its own, the shared SQL flow. */

import { getLogger } from "@logtape/logtape";
import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { StorageError } from "../errors.ts";
import {
  type ScheduleDialect,
  SCHEDULES_TABLE,
  type ScheduleSql,
  scheduleTableProblem,
  SqlScheduleStore,
} from "../schedule_store.ts";
import { quoteIdentifier } from "./identifier.ts";
import { createPool, describeDriverError, type MysqlServerAddress } from "./pool.ts";
import { runQuery } from "./query.ts";
import { ConflictRetry, inTransaction } from "./transaction.ts";

/** Where the tables are. */
export interface MysqlScheduleStoreOptions extends MysqlServerAddress {
  /** The jobs table (`mysql_table`). */
  table: string;
  /** Each statement's time limit, ms (default 30 s). */
  queryTimeoutMs?: number;
}

/** Connections of the board's pool: a firing holds one, a request may need another. */
const POOL_SIZE = 2;

/**
 * Connects and checks that `jobd_schedules` exists with its columns; a
 * `StorageError` naming the table and the database otherwise.
 */
export async function openMysqlScheduleStore(
  options: MysqlScheduleStoreOptions,
): Promise<SqlScheduleStore> {
  const queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
  const pool = createPool(
    { ...options, poolSize: POOL_SIZE, queryTimeoutMs },
    getLogger(["jobd", "storage", "schedules"]),
  );
  const where = `database '${options.database}' at ${options.host}:${options.port}`;
  const columnsOf = async (table: string) =>
    new Set(
      (await runQuery<RowDataPacket[]>(
        pool,
        queryTimeoutMs,
        `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
        [table],
      )).map((row) => String(row.name).toLowerCase()),
    );
  const wrap = (connection: PoolConnection | typeof pool): ScheduleSql => ({
    all: async (sql, params) =>
      await runQuery<RowDataPacket[]>(connection, queryTimeoutMs, sql, [...params]),
    run: async (sql, params) => {
      const header = await runQuery<ResultSetHeader>(connection, queryTimeoutMs, sql, [
        ...params,
      ]);
      return { changes: header.affectedRows, insertId: Number(header.insertId) };
    },
  });
  const dialect: ScheduleDialect = {
    quote: quoteIdentifier,
    insertIgnore: "INSERT IGNORE",
    lockRow: " FOR UPDATE",
    transaction: (work) =>
      inTransaction({ pool, queryTimeoutMs }, (connection) => work(wrap(connection))),
    direct: wrap(pool),
    jobColumns: () => columnsOf(options.table),
    conflict: (message) => new ConflictRetry(message),
    where,
    close: async () => await pool.end().catch(() => {}),
  };
  try {
    const problem = scheduleTableProblem(await columnsOf(SCHEDULES_TABLE), where);
    if (problem !== undefined) throw new StorageError(`Cannot use the job board: ${problem}`);
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `Cannot open the job board's table '${SCHEDULES_TABLE}' in ${where}: ${
        describeDriverError(error)
      }`,
      { cause: error },
    );
  }
  return new SqlScheduleStore(dialect, options.table);
}
