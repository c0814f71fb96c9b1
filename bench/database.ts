/**
 * The benchmark's database: a fresh database with the jobs table of
 * `examples/schema.sql`, on the server named by `--mysql` /
 * `JOBD_TEST_MYSQL` or on a throwaway MariaDB started for the run.
 *
 * @module
 */

import mysql from "mysql2/promise";
import type { Connection, Pool, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { Durability, MariaDbServer } from "../scripts/mariadb.ts";
import {
  openScratchDatabase,
  schemaStatements,
  type ServerAddress,
} from "../tests/helpers/database.ts";
import { claimSelectSql } from "../src/storage/mysql/claim_waiting.ts";
import { parseServerVersion, supportsSkipLocked } from "../src/storage/mysql/server_version.ts";
import { quoteIdentifier } from "../src/storage/mysql/identifier.ts";
import { nowMs, summarize, type Summary } from "./stats.ts";

/** Rows written by one multi-row INSERT. */
const INSERT_BATCH = 10_000;

/** The jobs table's name. */
export const TABLE = "jobs";

/**
 * One target's locking read in the worker's claim, which joins one per target
 * with UNION ALL: `?` = target, limit.
 */
export function claimSql(skipLocked: boolean): string {
  return claimSelectSql(quoteIdentifier(TABLE), skipLocked);
}

/** A range of consecutive job ids, inclusive. */
export interface IdRange {
  first: number;
  last: number;
}

/** A database of the benchmark's own, dropped (or its server stopped) on disposal. */
export class BenchDatabase implements AsyncDisposable {
  readonly address: ServerAddress;
  readonly database: string;
  /** The server's `VERSION()`. */
  readonly version: string;
  /** Whether the server was started for this run (else it was given). */
  readonly throwaway: boolean;
  /** The benchmark's own statements so far, as the server counts them. */
  readonly #issued = { questions: 0, com_select: 0 };
  /**
   * The server's durability settings, read from it:
   * `innodb_flush_log_at_trx_commit` (1: every commit flushed) and
   * `innodb_doublewrite`.
   */
  readonly durability: { flushLogAtTrxCommit: string; doublewrite: string };
  readonly #pool: Pool;
  readonly #server: MariaDbServer | undefined;

  private constructor(
    address: ServerAddress,
    database: string,
    version: string,
    pool: Pool,
    server: MariaDbServer | undefined,
    durability: { flushLogAtTrxCommit: string; doublewrite: string },
  ) {
    this.address = address;
    this.database = database;
    this.version = version;
    this.durability = durability;
    this.#pool = pool;
    this.#server = server;
    this.throwaway = server !== undefined;
  }

  /**
   * Creates `jobd_bench_<random>` with the jobs table on the server at
   * `mysqlAddress` (`host:port:user:password`), or on a throwaway MariaDB
   * of the given durability when undefined.
   */
  static async open(
    mysqlAddress: string | undefined,
    options: { workerColumn: boolean; timeColumns?: boolean; durability: Durability },
  ): Promise<BenchDatabase> {
    return await openScratchDatabase({
      shared: mysqlAddress,
      durability: options.durability,
      prefix: "jobd_bench_",
      connectionLimit: 4,
    }, async ({ address, database, pool, server }) => {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush,
                @@innodb_doublewrite AS doublewrite`,
      );
      const durability = {
        flushLogAtTrxCommit: String(rows[0].flush),
        doublewrite: String(rows[0].doublewrite),
      };
      const db = new BenchDatabase(
        address,
        database,
        String(rows[0].version),
        pool,
        server,
        durability,
      );
      await db.createTable(options);
      return db;
    });
  }

  /**
   * (Re)creates the tables of `examples/schema.sql`, empty: the jobs table
   * with or without the optional `worker` column (and the time columns when
   * asked). No daemon may be using them.
   */
  async createTable(options: { workerColumn: boolean; timeColumns?: boolean }): Promise<void> {
    const statements = await schemaStatements({
      table: TABLE,
      withWorkerColumn: options.workerColumn,
      withTimeColumns: options.timeColumns ?? false,
    });
    // Every table the schema creates (the jobs table and any other, such as the schedules).
    for (const statement of statements) {
      const created = statement.match(/^CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(`[^`]+`|\w+)/i);
      if (created) await this.query(`DROP TABLE IF EXISTS ${created[1]}`);
    }
    for (const statement of statements) await this.query(statement);
  }

  /** Whether the server has `FOR UPDATE SKIP LOCKED` (MariaDB ≥ 10.6, MySQL ≥ 8.0.1). */
  get skipLocked(): boolean {
    return supportsSkipLocked(parseServerVersion(this.version));
  }

  /** Runs SQL on the benchmark database (counted: see `statementCounters`). */
  async query<T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T> {
    this.#issued.questions++;
    if (/^\s*SELECT\b/i.test(sql)) this.#issued.com_select++;
    const [result] = await this.#pool.query(sql, params);
    return result as T;
  }

  /** A connection of its own to the benchmark database, in READ COMMITTED like the worker's. */
  async connect(): Promise<Connection> {
    const connection = await mysql.createConnection({ ...this.address, database: this.database });
    await connection.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    return connection;
  }

  /**
   * Inserts `count` rows in status `status`, spread round-robin over
   * `targets`, into `table`; returns their ids (consecutive: only the
   * benchmark writes rows while it inserts).
   */
  async insertJobs(
    targets: readonly string[],
    count: number,
    options: { status?: string; table?: string } = {},
  ): Promise<IdRange> {
    const status = options.status ?? "waiting";
    const table = options.table ?? TABLE;
    const now = Math.floor(Date.now() / 1000);
    let first = 0;
    let last = 0;
    for (let offset = 0; offset < count; offset += INSERT_BATCH) {
      const size = Math.min(INSERT_BATCH, count - offset);
      const values = Array.from(
        { length: size },
        (_, index) => [targets[(offset + index) % targets.length], now, status],
      );
      const header = await this.query<ResultSetHeader>(
        `INSERT INTO \`${table}\` (target, time_created, status) VALUES ?`,
        [values],
      );
      if (offset === 0) first = header.insertId;
      last = header.insertId + header.affectedRows - 1;
    }
    if (last - first + 1 !== count) {
      throw new Error(`Inserted ${count} rows but got ids ${first}..${last}: not consecutive`);
    }
    return { first, last };
  }

  /**
   * Fills the table with `count` rows that a poll of `served` must pass
   * over: 70 % `done` rows of the served targets (history), 20 % `waiting`
   * rows of four targets no worker serves, 10 % `manual` rows of the served
   * targets. Uses MariaDB's sequence engine when present, else batched
   * INSERTs.
   */
  /**
   * Adds `count` rows of `served` targets in status `delayed`, due in a day
   * (a table with the time columns): what the waiting claim must not slow
   * down on.
   */
  async insertDelayed(served: readonly string[], count: number): Promise<void> {
    const dueAt = Math.floor(Date.now() / 1000) + 86_400;
    const sequence = await this.query(`SELECT seq FROM seq_1_to_1`).then(() => true, () => false);
    if (!sequence) {
      const range = await this.insertJobs(served, count, { status: "delayed" });
      await this.query(`UPDATE ${TABLE} SET time_run_at = ? WHERE id BETWEEN ? AND ?`, [
        dueAt,
        range.first,
        range.last,
      ]);
      return;
    }
    const choices = served.map((target) => `'${target}'`).join(", ");
    await this.query(
      `INSERT INTO ${TABLE} (target, time_created, status, time_run_at)
       SELECT ELT(1 + seq % ${served.length}, ${choices}), UNIX_TIMESTAMP(), 'delayed', ? + seq % 3600
         FROM seq_1_to_${count}`,
      [dueAt],
    );
  }

  async insertBacklog(served: readonly string[], count: number): Promise<void> {
    const done = Math.round(count * 0.7);
    const manual = Math.round(count * 0.1);
    const parts: [string[], number, string][] = [
      [[...served], done, "done"],
      [["other1", "other2", "other3", "other4"], count - done - manual, "waiting"],
      [[...served], manual, "manual"],
    ];
    const sequence = await this.query(`SELECT seq FROM seq_1_to_1`).then(() => true, () => false);
    for (const [targets, rows, status] of parts) {
      if (rows === 0) continue;
      if (!sequence) {
        await this.insertJobs(targets, rows, { status });
        continue;
      }
      const choices = targets.map((target) => `'${target}'`).join(", ");
      await this.query(
        `INSERT INTO ${TABLE} (target, time_created, time_finished, status, result)
         SELECT ELT(1 + seq % ${targets.length}, ${choices}), UNIX_TIMESTAMP(),
                IF(? = 'done', UNIX_TIMESTAMP(), 0), ?, IF(? = 'done', 'ok', NULL)
           FROM seq_1_to_${rows}`,
        [status, status, status],
      );
    }
  }

  /** Row counts by status among the ids of `range`. */
  async countByStatus(range: IdRange): Promise<Record<string, number>> {
    const rows = await this.query(
      `SELECT status, COUNT(*) AS n FROM ${TABLE} WHERE id BETWEEN ? AND ? GROUP BY status`,
      [range.first, range.last],
    );
    return Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]));
  }

  /**
   * Whether a row of `targets` among the ids of `range` is not `done` yet.
   * One look-up in the `(status, target, id)` index, so that the benchmark
   * watching a run costs the database next to nothing (counting by status
   * reads every row of the range: about 4.5 ms each time for 20,000 rows).
   */
  async anyUnfinished(range: IdRange, targets: readonly string[]): Promise<boolean> {
    const rows = await this.query(
      `SELECT id FROM ${TABLE}
        WHERE status IN ('waiting', 'manual', 'accepted', 'running', 'ignored')
          AND target IN (?) AND id BETWEEN ? AND ? LIMIT 1`,
      [targets, range.first, range.last],
    );
    return rows.length > 0;
  }

  /** Counts of `result` (`ok`, `fail`) among the ids of `range`. */
  async countByResult(range: IdRange): Promise<Record<string, number>> {
    const rows = await this.query(
      `SELECT COALESCE(result, 'none') AS result, COUNT(*) AS n FROM ${TABLE}
        WHERE id BETWEEN ? AND ? GROUP BY result`,
      [range.first, range.last],
    );
    return Object.fromEntries(rows.map((row) => [String(row.result), Number(row.n)]));
  }

  /** Number of rows in the table. */
  async rowCount(): Promise<number> {
    const rows = await this.query(`SELECT COUNT(*) AS n FROM ${TABLE}`);
    return Number(rows[0].n);
  }

  /**
   * The server's statement counters (`SHOW GLOBAL STATUS`): every statement
   * (`Questions`) and the SELECTs, UPDATEs, transaction starts and commits,
   * without the benchmark's own statements (its look at the table every
   * 100 ms while jobs run, these reads). Server-wide otherwise: they count
   * other clients of the server too.
   */
  async statementCounters(): Promise<Record<string, number>> {
    const rows = await this.query(
      `SHOW GLOBAL STATUS WHERE Variable_name IN
        ('Questions', 'Com_select', 'Com_update', 'Com_begin', 'Com_commit', 'Com_rollback')`,
    );
    const own: Record<string, number> = this.#issued;
    return Object.fromEntries(
      rows.map((row) => {
        const name = String(row.Variable_name).toLowerCase();
        return [name, Number(row.Value) - (own[name] ?? 0)];
      }),
    );
  }

  /**
   * Turns the server's general query log on, into `path`, or off (undefined).
   * Every statement of every client is written to it: it costs the server
   * time. `path` must be writable by the server (a throwaway one runs here).
   */
  async generalLog(path: string | undefined): Promise<void> {
    if (path === undefined) {
      await this.query("SET GLOBAL general_log = 0");
      return;
    }
    await this.query("SET GLOBAL log_output = 'FILE'");
    await this.query("SET GLOBAL general_log_file = ?", [path]);
    await this.query("SET GLOBAL general_log = 1");
  }

  /** `EXPLAIN` of the claim query for `target`, one object per plan row. */
  async explainClaim(target: string, limit: number): Promise<Record<string, unknown>[]> {
    const rows = await this.query(`EXPLAIN ${claimSql(this.skipLocked)}`, [target, limit]);
    return rows.map((row) => ({ ...row }));
  }

  /**
   * Times the claim query alone (`samples` times): each in a transaction
   * that is rolled back, so the rows stay `waiting`. Milliseconds.
   */
  async claimCost(target: string, limit: number, samples: number): Promise<Summary | undefined> {
    const connection = await this.connect();
    const times: number[] = [];
    try {
      for (let index = 0; index < samples; index++) {
        await connection.query("START TRANSACTION");
        const start = nowMs();
        await connection.query(claimSql(this.skipLocked), [target, limit]);
        times.push(nowMs() - start);
        await connection.query("ROLLBACK");
      }
    } finally {
      await connection.end();
    }
    return summarize(times);
  }

  /** Drops the database (or stops the throwaway server, files and all). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (this.#server === undefined) await this.#pool.query(`DROP DATABASE \`${this.database}\``);
    } finally {
      await this.#pool.end();
      await this.#server?.[Symbol.asyncDispose]();
    }
  }
}
