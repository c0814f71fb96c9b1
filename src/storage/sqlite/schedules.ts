/**
 * The job board's tables in the SQLite file: a connection of its own (so a
 * firing's transaction never mixes with the job store's), the shared SQL
 * flow. Transactions are `BEGIN IMMEDIATE`: the write lock is taken first,
 * so a second worker on the same file waits for the first's firing.
 */

import type { SQLInputValue } from "node:sqlite";
import { StorageError } from "../errors.ts";
import { messageOf } from "../../text.ts";
import {
  type ScheduleDialect,
  SCHEDULES_TABLE,
  type ScheduleSql,
  scheduleTableProblem,
  SqlScheduleStore,
} from "../schedule_store.ts";
import { retryWhileBusy } from "./busy.ts";
import { SqliteConnection } from "./connection.ts";
import { quoteIdentifier } from "./identifier.ts";

/** Longest wait for another connection's lock, ms. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the file and checks that `jobd_schedules` exists with its columns;
 * a `StorageError` naming the table and the file otherwise.
 */
export async function openSqliteScheduleStore(
  options: { path: string; table: string },
): Promise<SqlScheduleStore> {
  const where = `SQLite file '${options.path}'`;
  let connection: SqliteConnection;
  try {
    connection = new SqliteConnection(options.path);
  } catch (error) {
    throw new StorageError(`Cannot open the ${where} for the job board: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const busy = <T>(work: () => T) => retryWhileBusy(work, { timeoutMs: BUSY_TIMEOUT_MS });
  const columnsOf = (table: string) =>
    busy(() =>
      new Set(
        connection.all(`PRAGMA table_info(${quoteIdentifier(table)})`).map((row) =>
          String(row.name).toLowerCase()
        ),
      )
    );
  const params = (values: readonly unknown[]) => values as SQLInputValue[];
  const runSync = (sql: string, values: readonly unknown[]) => {
    const changes = connection.run(sql, ...params(values));
    const insertId = Number(connection.get("SELECT last_insert_rowid() AS id")?.id ?? 0);
    return { changes, insertId };
  };
  // Inside BEGIN IMMEDIATE: the lock is held, so no statement meets a busy database.
  const sync: ScheduleSql = {
    all: (sql, values) => new Promise((resolve) => resolve(connection.all(sql, ...params(values)))),
    run: (sql, values) => new Promise((resolve) => resolve(runSync(sql, values))),
  };
  const dialect: ScheduleDialect = {
    quote: quoteIdentifier,
    insertIgnore: "INSERT OR IGNORE",
    lockRow: "",
    async transaction(work) {
      await busy(() => connection.run("BEGIN IMMEDIATE"));
      try {
        const result = await work(sync);
        connection.run("COMMIT");
        return result;
      } catch (error) {
        try {
          connection.run("ROLLBACK");
        } catch {
          // SQLite rolls back on its own when a transaction cannot go on.
        }
        throw error;
      }
    },
    direct: {
      all: (sql, values) => busy(() => connection.all(sql, ...params(values))),
      run: (sql, values) => busy(() => runSync(sql, values)),
    },
    jobColumns: () => columnsOf(options.table),
    conflict: (message) => new StorageError(message),
    where,
    close: () => Promise.resolve(connection.close()),
  };
  try {
    const problem = scheduleTableProblem(await columnsOf(SCHEDULES_TABLE), where);
    if (problem !== undefined) throw new StorageError(`Cannot use the job board: ${problem}`);
  } catch (error) {
    connection.close();
    throw error;
  }
  return new SqlScheduleStore(dialect, options.table);
}
