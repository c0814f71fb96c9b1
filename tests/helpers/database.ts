/**
 * A fresh MySQL database per test, holding the jobs table of
 * `examples/schema.sql`:
 *
 * ```ts
 * await using db = await openTestDatabase({ withWorkerColumn: true });
 * const ids = await db.insertJobs("build", 3);
 * ```
 *
 * The server is the shared one named by `JOBD_TEST_MYSQL`
 * (`host:port:user:password`, set by `deno task test`), or else a private
 * throwaway MariaDB started for this database alone (slower: prefer
 * `deno task test`). Disposing drops the database, closes the connections and
 * stops a private server.
 */

import mysql from "mysql2/promise";
import type { Connection, Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { JobStatus } from "../../src/job.ts";
import type { MysqlStoreOptions } from "../../src/storage/mysql_store.ts";
import { quoteIdentifier } from "../../src/storage/mysql/identifier.ts";
import { nameLockKey } from "../../src/storage/mysql/name_lock.ts";
import { type Durability, type MariaDbServer, startMariaDb } from "../../scripts/mariadb.ts";
import {
  assignments,
  type ColumnValue,
  type JobRow,
  jobRowColumns,
  type TestJobsTable,
  toJobRow,
} from "./jobs_table.ts";

/** The environment variable naming a shared test server: `host:port:user:password`. */
export const TEST_MYSQL_VARIABLE = "JOBD_TEST_MYSQL";

/** Options of `openTestDatabase`. */
export interface OpenTestDatabaseOptions {
  /** Add the optional `worker` column (the commented ALTER TABLE of schema.sql). Default false. */
  withWorkerColumn?: boolean;
  /** Add the optional time columns and status `delayed` (schema.sql). Default false. */
  withTimeColumns?: boolean;
  /** Add the optional indexes for a big table's operator reads (schema.sql). Default false. */
  withOperatorIndexes?: boolean;
  /** Name of the jobs table. Default `jobs`. */
  table?: string;
  /**
   * Start a private server even when `JOBD_TEST_MYSQL` is set, for tests that
   * stop and restart it (see `TestDatabase.server`). Default false.
   */
  privateServer?: boolean;
}

/** A database of its own for one test, with a jobs table. */
export interface TestDatabase extends TestJobsTable {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The database's random name (`jobd_test_...`). */
  readonly database: string;
  /** The private server this database lives on, if one was started for it. */
  readonly server: MariaDbServer | undefined;
  /** Options for `openMysqlStore` on this table. */
  storeOptions(workerName: string): MysqlStoreOptions;
  /**
   * A connection of the test's own, outside the pool, on this database: for
   * what needs one session (table locks, user locks, a KILL). The test ends it.
   */
  session(): Promise<Connection>;
  /** Runs SQL on this database; resolves to the rows (or the result header of a write). */
  query<T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(
    sql: string,
    params?: unknown[],
  ): Promise<T>;
}

/** Server address and credentials. */
export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Reads `host:port:user:password`; the password may itself contain colons. */
export function parseTestMysql(value: string): ServerAddress {
  const [host, port, user, ...password] = value.split(":");
  if (!host || !/^\d+$/.test(port ?? "") || !user || password.length === 0) {
    throw new Error(
      `Invalid ${TEST_MYSQL_VARIABLE} '${value}': expected host:port:user:password`,
    );
  }
  return { host, port: Number(port), user, password: password.join(":") };
}

/** An empty database of its own on a MySQL/MariaDB server, and a pool on it. */
export interface ScratchDatabase {
  address: ServerAddress;
  database: string;
  pool: Pool;
  /** The throwaway MariaDB started for it, to stop with it; undefined on a shared server. */
  server: MariaDbServer | undefined;
}

/**
 * Creates a database named `prefix` and random characters on the server
 * `shared` names (`host:port:user:password`), or on a throwaway MariaDB of
 * `durability` started for it when undefined, and a pool on it; resolves to
 * what `setUp` makes of them. When anything fails on the way, what was
 * opened is closed.
 */
export async function openScratchDatabase<T>(
  options: {
    shared: string | undefined;
    durability: Durability;
    prefix: string;
    connectionLimit: number;
  },
  setUp: (scratch: ScratchDatabase) => Promise<T>,
): Promise<T> {
  const server = options.shared === undefined
    ? await startMariaDb({ durability: options.durability })
    : undefined;
  try {
    const address = pick(server ?? parseTestMysql(options.shared!));
    const database = `${options.prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = await mysql.createConnection(address);
    try {
      await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    } finally {
      await admin.end();
    }
    const pool = mysql.createPool({
      ...address,
      database,
      connectionLimit: options.connectionLimit,
    });
    try {
      return await setUp({ address, database, pool, server });
    } catch (error) {
      await pool.end();
      throw error;
    }
  } catch (error) {
    await server?.[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * Creates a database with a random name on the test server and the jobs
 * table in it from `examples/schema.sql`.
 */
export function openTestDatabase(options: OpenTestDatabaseOptions = {}): Promise<TestDatabase> {
  const shared = Deno.env.get(TEST_MYSQL_VARIABLE);
  const table = options.table ?? "jobs";
  const withWorkerColumn = options.withWorkerColumn ?? false;
  const withTimeColumns = options.withTimeColumns ?? false;
  const withOperatorIndexes = options.withOperatorIndexes ?? false;
  return openScratchDatabase({
    shared: shared && !options.privateServer ? shared : undefined,
    durability: "relaxed",
    prefix: "jobd_test_",
    connectionLimit: 2,
  }, async ({ address, database, pool, server }) => {
    for (
      const statement of await schemaStatements({
        table,
        withWorkerColumn,
        withTimeColumns,
        withOperatorIndexes,
      })
    ) {
      await pool.query(statement);
    }
    return new MysqlTestDatabase(address, { database, table, withWorkerColumn }, pool, server);
  });
}

function pick(address: ServerAddress): ServerAddress {
  const { host, port, user, password } = address;
  return { host, port, user, password };
}

/**
 * The statements of `examples/schema.sql` for a table named `table`: the
 * CREATE TABLE, and the commented ALTER TABLEs adding `worker`, the time
 * columns (`time_run_at`, `timeout`, `attempts`, `max_attempts`, status
 * `delayed`) and the operators' indexes when asked.
 */
export async function schemaStatements(
  options: {
    table: string;
    withWorkerColumn: boolean;
    withTimeColumns?: boolean;
    withOperatorIndexes?: boolean;
  },
): Promise<string[]> {
  const schemaUrl = new URL("../../examples/schema.sql", import.meta.url);
  const lines = (await Deno.readTextFile(schemaUrl)).split("\n");
  const statements = lines
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement !== "");
  const commentedAlter = (adds: string) => {
    for (let start = 0; start < lines.length; start++) {
      if (!/^--\s*ALTER TABLE/i.test(lines[start])) continue;
      const alter: string[] = [];
      for (const line of lines.slice(start)) {
        const text = line.replace(/^--\s?/, "");
        alter.push(text);
        if (text.trimEnd().endsWith(";")) break;
      }
      const statement = alter.join("\n").trim().replace(/;$/, "");
      if (statement.includes(adds)) return statement;
    }
    throw new Error(`${schemaUrl.pathname} has no commented ALTER TABLE with '${adds}'`);
  };
  if (options.withWorkerColumn) statements.push(commentedAlter("ADD COLUMN `worker`"));
  if (options.withTimeColumns) statements.push(commentedAlter("ADD COLUMN `time_run_at`"));
  if (options.withOperatorIndexes) statements.push(commentedAlter("ADD KEY `status_result_idx`"));
  const quoted = quoteIdentifier(options.table);
  return statements.map((statement) => statement.replaceAll("`jobs`", () => quoted));
}

class MysqlTestDatabase implements TestDatabase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly table: string;
  readonly withWorkerColumn: boolean;
  readonly server: MariaDbServer | undefined;
  readonly #pool: Pool;
  readonly #quotedTable: string;

  constructor(
    address: ServerAddress,
    names: { database: string; table: string; withWorkerColumn: boolean },
    pool: Pool,
    server: MariaDbServer | undefined,
  ) {
    ({ host: this.host, port: this.port, user: this.user, password: this.password } = address);
    ({ database: this.database, table: this.table, withWorkerColumn: this.withWorkerColumn } =
      names);
    this.#pool = pool;
    this.#quotedTable = quoteIdentifier(names.table);
    this.server = server;
    // Connections dropped while a test stops the server must not crash the test process.
    pool.pool.on("connection", (connection) => connection.on("error", () => {}));
  }

  storeOptions(workerName: string): MysqlStoreOptions {
    const { host, port, user, password, database, table } = this;
    return { host, port, user, password, database, table, workerName };
  }

  session(): Promise<Connection> {
    const { host, port, user, password, database } = this;
    return mysql.createConnection({ host, port, user, password, database });
  }

  workerStorageConfig(): Record<string, string | number> {
    return {
      mysql_host: this.host,
      mysql_port: this.port,
      mysql_user: this.user,
      mysql_password: this.password,
      mysql_database: this.database,
      mysql_table: this.table,
    };
  }

  async query<T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T> {
    const [result] = await this.#pool.query(sql, params);
    return result as T;
  }

  async insertJobs(
    target: string,
    count: number,
    status: JobStatus = "waiting",
  ): Promise<number[]> {
    if (count < 1) return [];
    const now = Math.floor(Date.now() / 1000);
    const values = Array.from({ length: count }, () => [target, now, status]);
    const header = await this.query<ResultSetHeader>(
      `INSERT INTO ${this.#quotedTable} (target, time_created, status) VALUES ?`,
      [values],
    );
    // One multi-row INSERT into a table only this test writes: the ids are consecutive.
    return Array.from({ length: header.affectedRows }, (_, index) => header.insertId + index);
  }

  async rows(ids?: readonly number[]): Promise<JobRow[]> {
    if (ids !== undefined && ids.length === 0) return [];
    const columns = jobRowColumns(this.withWorkerColumn);
    const where = ids === undefined ? "" : "WHERE id IN (?)";
    const rows = await this.query(
      `SELECT ${columns} FROM ${this.#quotedTable} ${where} ORDER BY id`,
      ids === undefined ? [] : [ids],
    );
    return rows.map(toJobRow);
  }

  async setColumns(ids: readonly number[], values: Record<string, ColumnValue>): Promise<void> {
    const { sql, params } = assignments(values);
    await this.query(`UPDATE ${this.#quotedTable} SET ${sql} WHERE id IN (?)`, [...params, ids]);
  }

  async readColumns(
    ids: readonly number[],
    columns: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    const rows = await this.query(
      `SELECT id, ${columns.join(", ")} FROM ${this.#quotedTable} WHERE id IN (?) ORDER BY id`,
      [ids],
    );
    return rows.map((row) => ({ ...row }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      // A private server goes away with its files; only a shared one needs the drop.
      if (this.server === undefined) {
        await this.#pool.query(`DROP DATABASE ${quoteIdentifier(this.database)}`);
      }
    } finally {
      await this.#pool.end();
      await this.server?.[Symbol.asyncDispose]();
    }
  }
}

/**
 * Ends, from `session`, the database connection that holds the lock of the
 * worker `name` on `db`'s table (as a second worker of that name, or an
 * operator, could), and returns the lock's key.
 */
export async function killNameLockHolder(
  session: Connection,
  db: { database: string; table: string },
  name: string,
): Promise<string> {
  const key = nameLockKey(db.database, db.table, name);
  const [[{ holder }]] = await session.query<RowDataPacket[]>(
    "SELECT IS_USED_LOCK(?) AS holder",
    [key],
  );
  if (holder === null || holder === undefined) throw new Error(`nobody holds the lock of ${name}`);
  await session.query(`KILL ${Number(holder)}`);
  return key;
}
