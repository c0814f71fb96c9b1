/**
 * A fresh SQLite jobs database per test, in a temporary directory, holding
 * the table of `examples/schema.sqlite.sql`:
 *
 * ```ts
 * await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
 * const ids = await db.insertJobs("build", 3);
 * ```
 *
 * The test's own connection plays the application: it inserts and reads
 * rows, with a busy timeout as the schema file recommends. Disposing closes
 * it and removes the directory.
 */

import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { JobStatus } from "../../src/job.ts";
import type { SqliteStoreOptions } from "../../src/storage/sqlite_store.ts";
import { quoteIdentifier } from "../../src/storage/sqlite/identifier.ts";
import {
  assignments,
  type ColumnValue,
  type JobRow,
  jobRowColumns,
  type TestJobsTable,
  toJobRow,
} from "./jobs_table.ts";

/** Options of `openTestSqliteDatabase`. */
export interface OpenTestSqliteDatabaseOptions {
  /** Keep the optional `worker` column of the schema file. Default false (dropped). */
  withWorkerColumn?: boolean;
  /** Keep the optional time columns of the schema file. Default false (dropped). */
  withTimeColumns?: boolean;
  /** Name of the jobs table. Default `jobs`. */
  table?: string;
}

/** An SQLite file of its own for one test, with a jobs table. */
export interface TestSqliteDatabase extends TestJobsTable {
  /** The temporary directory holding the file (and its `-wal`, `-shm` companions). */
  readonly dir: string;
  /** The database file. */
  readonly path: string;
  /** Options for `openSqliteStore` on this table. */
  storeOptions(workerName: string): SqliteStoreOptions;
  /** Runs SQL with parameters; resolves to the rows. */
  query(sql: string, ...params: SQLInputValue[]): Promise<Record<string, SQLInputValue>[]>;
}

/** The URL of the schema file the tests create their tables with. */
export const SQLITE_SCHEMA_URL = new URL("../../examples/schema.sqlite.sql", import.meta.url);

/** Creates a temporary directory, an SQLite file in it, and the jobs table. */
export async function openTestSqliteDatabase(
  options: OpenTestSqliteDatabaseOptions = {},
): Promise<TestSqliteDatabase> {
  const table = options.table ?? "jobs";
  const withWorkerColumn = options.withWorkerColumn ?? false;
  const dir = await Deno.makeTempDir({ prefix: "jobd-sqlite-" });
  try {
    const path = `${dir}/jobs.db`;
    const db = new DatabaseSync(path, { timeout: 5000 });
    try {
      const withTimeColumns = options.withTimeColumns ?? false;
      db.exec(await sqliteSchema({ table, withWorkerColumn, withTimeColumns }));
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteTestDatabase(db, { dir, path, table, withWorkerColumn });
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/**
 * The SQL of `examples/schema.sqlite.sql` for a table named `table`, and,
 * without the owner column or the time columns, statements dropping them and
 * their indexes.
 */
export async function sqliteSchema(
  options: { table: string; withWorkerColumn: boolean; withTimeColumns?: boolean },
): Promise<string> {
  const quoted = quoteIdentifier(options.table);
  let schema = (await Deno.readTextFile(SQLITE_SCHEMA_URL)).replaceAll('"jobs"', () => quoted);
  if (!options.withWorkerColumn) {
    schema += `
    DROP INDEX "worker_status_idx";
    ALTER TABLE ${quoted} DROP COLUMN "worker";`;
  }
  if (!options.withTimeColumns) {
    schema += `
    DROP INDEX "status_target_run_idx";
    ${TIME_COLUMNS.map((column) => `ALTER TABLE ${quoted} DROP COLUMN "${column}";`).join("\n")}`;
  }
  return schema;
}

/** The optional columns of deferred jobs, timeouts and retries. */
const TIME_COLUMNS = ["time_run_at", "timeout", "attempts", "max_attempts"];

class SqliteTestDatabase implements TestSqliteDatabase {
  readonly dir: string;
  readonly path: string;
  readonly table: string;
  readonly withWorkerColumn: boolean;
  readonly #db: DatabaseSync;
  readonly #quotedTable: string;

  constructor(
    db: DatabaseSync,
    names: { dir: string; path: string; table: string; withWorkerColumn: boolean },
  ) {
    this.#db = db;
    ({ dir: this.dir, path: this.path, table: this.table } = names);
    this.withWorkerColumn = names.withWorkerColumn;
    this.#quotedTable = quoteIdentifier(names.table);
  }

  storeOptions(workerName: string): SqliteStoreOptions {
    return { path: this.path, table: this.table, workerName };
  }

  workerStorageConfig(): Record<string, string | number> {
    return { storage: "sqlite", sqlite_path: this.path, mysql_table: this.table };
  }

  query(sql: string, ...params: SQLInputValue[]): Promise<Record<string, SQLInputValue>[]> {
    // An executor's throw is a rejection, as with an asynchronous driver.
    return new Promise((resolve) => resolve(this.#db.prepare(sql).all(...params)));
  }

  insertJobs(target: string, count: number, status: JobStatus = "waiting"): Promise<number[]> {
    if (count < 1) return Promise.resolve([]);
    const now = Math.floor(Date.now() / 1000);
    const values = Array.from({ length: count }, () => "(?, ?, ?)").join(", ");
    const params = Array.from({ length: count }, () => [target, now, status]).flat();
    const rows = this.#db.prepare(
      `INSERT INTO ${this.#quotedTable} (target, time_created, status) VALUES ${values} RETURNING id`,
    ).all(...params);
    return Promise.resolve(rows.map((row) => Number(row.id)).sort((a, b) => a - b));
  }

  rows(ids?: readonly number[]): Promise<JobRow[]> {
    const columns = jobRowColumns(this.withWorkerColumn);
    const where = ids === undefined ? "" : "WHERE id IN (SELECT value FROM json_each(?))";
    const params = ids === undefined ? [] : [JSON.stringify(ids)];
    const rows = this.#db.prepare(
      `SELECT ${columns} FROM ${this.#quotedTable} ${where} ORDER BY id`,
    ).all(...params);
    return Promise.resolve(rows.map(toJobRow));
  }

  setColumns(ids: readonly number[], values: Record<string, ColumnValue>): Promise<void> {
    const { sql, params } = assignments(values);
    this.#db.prepare(
      `UPDATE ${this.#quotedTable} SET ${sql} WHERE id IN (SELECT value FROM json_each(?))`,
    ).run(...params, JSON.stringify(ids));
    return Promise.resolve();
  }

  readColumns(
    ids: readonly number[],
    columns: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    const rows = this.#db.prepare(
      `SELECT id, ${columns.join(", ")} FROM ${this.#quotedTable}
        WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(JSON.stringify(ids));
    return Promise.resolve(rows.map((row) => ({ ...row })));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#db.close();
    } finally {
      await Deno.remove(this.dir, { recursive: true });
    }
  }
}
