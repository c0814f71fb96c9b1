/**
 * The worker's name lock on MySQL/MariaDB: `GET_LOCK` on a connection of
 * its own (outside the store's pool, so the pool keeps all its connections
 * for claims and writes), held while the worker runs. The server releases
 * it when the connection ends, so it dies with the process.
 */

import { createHash } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import mysql from "mysql2/promise";
import type { Connection, RowDataPacket } from "mysql2/promise";
import { Backoff, type BackoffSteps, NAME_LOCK_BACKOFF } from "../../retry_policy.ts";
import { StorageError } from "../errors.ts";
import {
  type NameLock,
  type NameLockEvents,
  NameTakenError,
  nameTakenMessage,
} from "../name_lock.ts";
import {
  CONNECT_TIMEOUT_MS,
  describeDriverError,
  KEEPALIVE_INITIAL_DELAY_MS,
  type MysqlServerAddress,
} from "./pool.ts";

const log = getLogger(["jobd", "storage", "name-lock"]);

/**
 * The database's clock as unix seconds with microseconds. Not
 * `UNIX_TIMESTAMP(NOW(6))`: that converts the session's local time back, which
 * is an hour off in the hour a daylight saving change repeats. Both parts
 * read the statement's start time.
 */
const DATABASE_NOW = "UNIX_TIMESTAMP() + MICROSECOND(NOW(6)) * 0.000001";

/**
 * How often the lock's connection is asked whether it still holds the lock,
 * in milliseconds: a connection the server ended while the network was away
 * is found within this time, and the connection is never idle long enough
 * for the server's `wait_timeout` to end it.
 */
export const NAME_LOCK_CHECK_MS = 5000;

/** Where the table is, whose worker name is locked. */
export interface MysqlNameLockOptions extends MysqlServerAddress {
  /** The jobs table: workers of one name on different tables do not meet. */
  table: string;
  workerName: string;
  /** Time limit of each statement of the lock's connection, ms (default 10 s). */
  queryTimeoutMs?: number;
  /** The waits between tries to take a lost lock again (default `NAME_LOCK_BACKOFF`). */
  retakeBackoff?: BackoffSteps;
}

/**
 * The server-wide lock name of a worker name on a table: `GET_LOCK` names
 * are at most 64 characters, so the database, table and worker name are
 * hashed.
 */
export function nameLockKey(database: string, table: string, workerName: string): string {
  const digest = createHash("sha256").update(`${database}\0${table}\0${workerName}`)
    .digest("hex");
  return `jobd-worker:${digest.slice(0, 40)}`;
}

/**
 * Takes the lock on `workerName` for the table now. Throws a
 * `NameTakenError` naming the name and the holder's database connection
 * (its id and client address) when another session holds it, and a
 * `StorageError` when the server cannot be reached. `events` hear of a loss
 * of the lock's connection and of the lock taken again.
 */
export async function lockMysqlWorkerName(
  options: MysqlNameLockOptions,
  events: NameLockEvents = {},
): Promise<NameLock> {
  const lock = new MysqlNameLock(options, events);
  const connection = await lock.connect().catch((error) => {
    throw new StorageError(
      `Cannot lock the worker name '${options.workerName}' in ${lock.where}: ` +
        describeDriverError(error),
      { cause: error },
    );
  });
  try {
    const holder = await lock.take(connection);
    if (holder !== undefined) {
      throw new NameTakenError(nameTakenMessage(options.workerName, lock.where, holder));
    }
  } catch (error) {
    connection.destroy();
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `Cannot lock the worker name '${options.workerName}' in ${lock.where}: ` +
        describeDriverError(error),
      { cause: error },
    );
  }
  lock.hold(connection);
  return lock;
}

class MysqlNameLock implements NameLock {
  readonly name: string;
  readonly where: string;
  readonly #options: MysqlNameLockOptions;
  readonly #events: NameLockEvents;
  readonly #key: string;
  readonly #timeoutMs: number;
  #connection: Connection | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #retakes: Backoff;
  /** A try to take the lock again is under way. */
  #retaking = false;
  #lastHolder: string | undefined;
  #released = false;

  constructor(options: MysqlNameLockOptions, events: NameLockEvents) {
    this.name = options.workerName;
    this.where = `table '${options.table}' of database '${options.database}' at ` +
      `${options.host}:${options.port}`;
    this.#options = options;
    this.#events = events;
    this.#key = nameLockKey(options.database, options.table, options.workerName);
    this.#timeoutMs = options.queryTimeoutMs ?? 10_000;
    this.#retakes = new Backoff(options.retakeBackoff ?? NAME_LOCK_BACKOFF);
  }

  get held(): boolean {
    return this.#connection !== undefined;
  }

  /** A new connection for the lock, its errors caught (they mean the lock is lost). */
  async connect(): Promise<Connection> {
    const { host, port, user, password, database } = this.#options;
    const connection = await mysql.createConnection({
      host,
      port,
      user,
      password,
      database,
      connectTimeout: CONNECT_TIMEOUT_MS,
      enableKeepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
      charset: "utf8mb4_general_ci",
    });
    connection.on("error", (error: unknown) => {
      if (this.#connection === connection) this.#lose(describeDriverError(error));
    });
    connection.on("end", () => {
      if (this.#connection === connection) this.#lose("the server closed the connection");
    });
    return connection;
  }

  /** Takes the lock on `connection`: undefined when taken, else who holds it. */
  async take(connection: Connection): Promise<string | undefined> {
    const sentAt = Date.now();
    const [rows] = await connection.query<RowDataPacket[]>({
      sql: `SELECT GET_LOCK(?, 0) AS got, ${DATABASE_NOW} AS now`,
      timeout: this.#timeoutMs,
    }, [this.#key]);
    this.#clockRead(rows[0]?.now, sentAt);
    if (Number(rows[0]?.got) === 1) return undefined;
    return await this.#describeHolder(connection);
  }

  /** From now on the lock is held on `connection`, and checked every `NAME_LOCK_CHECK_MS`. */
  hold(connection: Connection): void {
    this.#connection = connection;
    this.#retakes.reset();
    this.#lastHolder = undefined;
    this.#schedule(() => this.#check(), NAME_LOCK_CHECK_MS);
  }

  retryNow(): void {
    if (this.#connection !== undefined || this.#released || this.#retaking) return;
    this.#schedule(() => this.#retake(), 0);
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) return;
    try {
      await connection.query({ sql: "DO RELEASE_LOCK(?)", timeout: this.#timeoutMs }, [this.#key]);
      await connection.end();
    } catch {
      // Ending the connection releases the lock all the same.
      connection.destroy();
    }
  }

  /** The holder's database connection, as far as this user may see it. */
  async #describeHolder(connection: Connection): Promise<string | undefined> {
    try {
      const [used] = await connection.query<RowDataPacket[]>({
        sql: "SELECT IS_USED_LOCK(?) AS holder",
        timeout: this.#timeoutMs,
      }, [this.#key]);
      const id = used[0]?.holder;
      if (id === null || id === undefined) return undefined;
      const [rows] = await connection.query<RowDataPacket[]>({
        sql: "SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = ?",
        timeout: this.#timeoutMs,
      }, [id]);
      const host = rows[0]?.host;
      return `its database connection ${id}` + (host ? ` from ${host}` : "");
    } catch {
      return undefined;
    }
  }

  /** Whether the connection still holds the lock; a failure or a no means it is lost. */
  async #check(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    try {
      const sentAt = Date.now();
      const [rows] = await connection.query<RowDataPacket[]>({
        sql: `SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine, ${DATABASE_NOW} AS now`,
        timeout: this.#timeoutMs,
      }, [this.#key]);
      this.#clockRead(rows[0]?.now, sentAt);
      if (this.#connection !== connection) return;
      if (Number(rows[0]?.mine) !== 1) {
        this.#lose("the database no longer counts the lock as held by this worker");
        return;
      }
      this.#schedule(() => this.#check(), NAME_LOCK_CHECK_MS);
    } catch (error) {
      if (this.#connection === connection) this.#lose(describeDriverError(error));
    }
  }

  /** Tells `onDatabaseClock` the server's clock (`DATABASE_NOW`) read by a statement sent at `sentAt`. */
  #clockRead(now: unknown, sentAt: number): void {
    const seconds = Number(now);
    if (now === null || now === undefined || !Number.isFinite(seconds)) return;
    this.#events.onDatabaseClock?.({ databaseMs: seconds * 1000, sentAt, receivedAt: Date.now() });
  }

  #lose(reason: string): void {
    const connection = this.#connection;
    if (connection === undefined || this.#released) return;
    this.#connection = undefined;
    clearTimeout(this.#timer);
    connection.destroy();
    this.#events.onLost?.(reason);
    this.#schedule(() => this.#retake(), this.#retakes.next());
  }

  async #retake(): Promise<void> {
    this.#retaking = true;
    try {
      await this.#tryRetake();
    } finally {
      this.#retaking = false;
    }
  }

  async #tryRetake(): Promise<void> {
    let connection: Connection | undefined;
    try {
      connection = await this.connect();
      const holder = await this.take(connection);
      if (this.#released) {
        connection.destroy();
        return;
      }
      if (holder === undefined) {
        this.hold(connection);
        this.#events.onRegained?.();
        return;
      }
      connection.destroy();
      if (holder !== this.#lastHolder) {
        this.#lastHolder = holder;
        log.error("The worker name {name} is now held by another worker ({holder})", {
          name: this.name,
          holder,
        });
      }
    } catch (error) {
      connection?.destroy();
      log.debug("Cannot take the lock on worker name {name} again yet: {error}", {
        name: this.name,
        error: describeDriverError(error),
      });
    }
    this.#schedule(() => this.#retake(), this.#retakes.next());
  }

  #schedule(step: () => Promise<void>, delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#released) return;
    this.#timer = setTimeout(() => void step(), delayMs);
  }
}
