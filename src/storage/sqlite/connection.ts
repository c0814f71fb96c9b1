/** One `node:sqlite` connection to the jobs database, with its prepared statements. */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { BUSY_SLICE_MS } from "./busy.ts";

/**
 * Size the `-wal` file is cut back to once a checkpoint has copied it into
 * the database (`PRAGMA journal_size_limit`), bytes: 16 MiB. Without it the
 * file keeps the size of the largest transaction ever written (a job's huge
 * output) for as long as a connection stays open.
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** A row as `node:sqlite` returns it. */
export type SqliteRow = Record<string, SQLInputValue>;

/**
 * `row` with its integers as numbers. The statements read integers as
 * bigints: `node:sqlite` throws on an integer beyond 2^53 otherwise, and an
 * application may store one (a time in nanoseconds in `time_run_at`), which
 * would fail every claim and count that reads the row. Such a value becomes
 * the nearest number, and the checks of each column judge it.
 */
function withNumbers(row: SqliteRow): SqliteRow {
  for (const key in row) {
    const value = row[key];
    if (typeof value === "bigint") row[key] = Number(value);
  }
  return row;
}

/**
 * An open database file. Statements are prepared once and reused. Every
 * method is synchronous: a transaction runs from BEGIN to COMMIT without
 * giving the event loop a turn, so nothing else in the process can slip a
 * statement into it.
 */
export class SqliteConnection {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /**
   * Opens (or creates: check first) the file at `path`. SQLite itself waits
   * at most `BUSY_SLICE_MS` for another connection's lock. The `-wal`
   * file is kept to `WAL_SIZE_LIMIT_BYTES` after checkpoints.
   */
  constructor(path: string) {
    this.#db = new DatabaseSync(path, { timeout: BUSY_SLICE_MS });
    try {
      this.#db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** The first row of `sql`, or undefined. */
  get(sql: string, ...params: SQLInputValue[]): SqliteRow | undefined {
    const row = this.#statement(sql).get(...params);
    return row === undefined ? undefined : withNumbers(row);
  }

  /** Every row of `sql`. */
  all(sql: string, ...params: SQLInputValue[]): SqliteRow[] {
    return this.#statement(sql).all(...params).map(withNumbers);
  }

  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#statement(sql).run(...params).changes);
  }

  /**
   * Runs `work` in one `BEGIN IMMEDIATE` transaction: the write lock is
   * taken at the start (a busy database fails there, before any work), so
   * no statement inside can meet a lock conflict. Commits what `work`
   * returns; rolls back when it throws.
   */
  immediate<T>(work: () => T): T {
    this.run("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.run("COMMIT");
      return result;
    } catch (error) {
      this.#rollBack();
      throw error;
    }
  }

  /** Closes the file. */
  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  /** Rolls back the open transaction, if any; a failure to do so leaves the first error to tell. */
  #rollBack(): void {
    if (!this.#db.isTransaction) return;
    try {
      this.run("ROLLBACK");
    } catch {
      // SQLite rolls back on its own when a transaction cannot go on.
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      statement.setReadBigInts(true);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
