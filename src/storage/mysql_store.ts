/**
 * The MySQL/MariaDB implementation of `JobStore`, on a mysql2 connection
 * pool. Each SQL operation lives in its own module under `mysql/`; this
 * module opens the store, checks the table, and turns driver errors into
 * `StorageError`s that name the operation, the jobs and the table.
 */

import { getLogger } from "@logtape/logtape";
import type { RowDataPacket } from "mysql2/promise";
import { StorageError } from "./errors.ts";
import type { ClaimedJob, FinishedJob, JobStore, LeftBehindJob, ManualClaim } from "./job_store.ts";
import { claimManual } from "./mysql/claim_manual.ts";
import { claimWaiting } from "./mysql/claim_waiting.ts";
import type { MysqlContext } from "./mysql/context.ts";
import { findLeftBehind } from "./mysql/find_left_behind.ts";
import { quoteIdentifier } from "./mysql/identifier.ts";
import { inspectTable } from "./mysql/inspect_table.ts";
import { markDone } from "./mysql/mark_done.ts";
import { markRunning } from "./mysql/mark_running.ts";
import { createPool, describeDriverError } from "./mysql/pool.ts";
import { releaseJobs } from "./mysql/release_jobs.ts";
import {
  parseServerVersion,
  type ServerVersion,
  supportsSkipLocked,
} from "./mysql/server_version.ts";

/** Connections the pool opens at most, unless `poolSize` says otherwise. */
export const DEFAULT_POOL_SIZE = 4;

/** Where the jobs table is and who is claiming from it. */
export interface MysqlStoreOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The jobs table (`mysql_table`); any name, quoted as an identifier. */
  table: string;
  /** This worker's name, recorded in the optional `worker` column. */
  workerName: string;
  /** Most connections open at once (default `DEFAULT_POOL_SIZE`). */
  poolSize?: number;
}

/**
 * Connects, reads the server version (to choose `FOR UPDATE SKIP LOCKED` on
 * MySQL ≥ 8.0.1 and MariaDB ≥ 10.6, plain `FOR UPDATE` before), and checks the
 * table: a missing table, a missing required column, or a `worker` column too
 * short for `workerName` is a `StorageError` naming the table and database. A
 * server that cannot be reached is a `StorageError` too, for which
 * `isTransientStorageError` is true.
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<MysqlStore> {
  const logger = getLogger(["jobd", "storage"]);
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new StorageError(
      `Cannot open the job store: the pool size must be at least 1, got ${poolSize}`,
    );
  }
  const table = quoteIdentifier(options.table);
  const pool = createPool({ ...options, poolSize }, logger);
  const where = `table '${options.table}' of database '${options.database}' at ` +
    `${options.host}:${options.port}`;
  try {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT VERSION() AS version");
    const version = parseServerVersion(String(rows[0].version));
    const shape = await inspectTable(pool, {
      database: options.database,
      tableName: options.table,
      workerName: options.workerName,
    });
    const context: MysqlContext = {
      pool,
      tableName: options.table,
      table,
      workerName: options.workerName,
      tracksOwner: shape.tracksOwner,
      skipLocked: supportsSkipLocked(version),
      narrowOutput: shape.narrowOutput,
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
    return new MysqlStore(context, version, options.database);
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
export class MysqlStore implements JobStore, AsyncDisposable {
  readonly #context: MysqlContext;
  readonly #database: string;
  #closed = false;

  /** The server's product and version, read at open. */
  readonly serverVersion: ServerVersion;

  /** Use `openMysqlStore`. */
  constructor(context: MysqlContext, serverVersion: ServerVersion, database: string) {
    this.#context = context;
    this.#database = database;
    this.serverVersion = serverVersion;
  }

  /** Whether rows record their owner (the table has a `worker` column). */
  get tracksOwner(): boolean {
    return this.#context.tracksOwner;
  }

  /** Whether claims use `FOR UPDATE SKIP LOCKED` (else plain `FOR UPDATE`). */
  get skipLocked(): boolean {
    return this.#context.skipLocked;
  }

  /** See `JobStore.claimWaiting`. Throws for a `limit` that is not an integer ≥ 1. */
  claimWaiting(target: string, limit: number): Promise<ClaimedJob[]> {
    const what = `claim waiting jobs of target '${target}'`;
    if (!Number.isInteger(limit) || limit < 1) {
      return this.#refuse(what, `the limit must be an integer of at least 1, got ${limit}`);
    }
    return this.#run(what, () => claimWaiting(this.#context, target, limit));
  }

  /**
   * See `JobStore.claimManual`. Throws for an empty list or ids that are not
   * positive integers; duplicate ids count once.
   */
  claimManual(ids: readonly number[], servedTargets: ReadonlySet<string>): Promise<ManualClaim> {
    if (ids.length === 0) return this.#refuse("claim manual jobs", "no job ids given");
    const what = `claim manual ${describeJobs(ids)}`;
    const invalid = ids.find((id) => !Number.isSafeInteger(id) || id < 1);
    if (invalid !== undefined) {
      return this.#refuse(what, `job ids must be positive integers, got ${invalid}`);
    }
    return this.#run(what, () => claimManual(this.#context, ids, servedTargets));
  }

  /** See `JobStore.markRunning`. */
  markRunning(id: number, startedAt: number): Promise<boolean> {
    return this.#run(`mark job ${id} running`, () => markRunning(this.#context, id, startedAt));
  }

  /** See `JobStore.markDone`. All rows are written in one transaction. */
  markDone(jobs: readonly FinishedJob[]): Promise<number[]> {
    const ids = jobs.map((job) => job.id);
    return this.#run(`mark ${describeJobs(ids)} done`, () => markDone(this.#context, jobs));
  }

  /** See `JobStore.release`. All rows are written in one transaction; the owner is cleared. */
  release(
    jobs: readonly ClaimedJob[],
    from: "accepted" | "running" = "accepted",
  ): Promise<number[]> {
    const ids = jobs.map((job) => job.id);
    return this.#run(`release ${describeJobs(ids)}`, () => releaseJobs(this.#context, jobs, from));
  }

  /** See `JobStore.findLeftBehind`. */
  findLeftBehind(): Promise<LeftBehindJob[]> {
    return this.#run(
      `find jobs left behind by worker '${this.#context.workerName}'`,
      () => findLeftBehind(this.#context),
    );
  }

  /** Closes the pool's connections. Later calls do nothing; later operations throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#context.pool.end();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return this.#refuse(what, "the store is closed");
    try {
      return await operation();
    } catch (error) {
      throw new StorageError(`Cannot ${what} ${this.#where()}: ${describeDriverError(error)}`, {
        cause: error,
      });
    }
  }

  #refuse(what: string, reason: string): Promise<never> {
    return Promise.reject(new StorageError(`Cannot ${what} ${this.#where()}: ${reason}`));
  }

  #where(): string {
    return `in table '${this.#context.tableName}' of database '${this.#database}'`;
  }
}

/** `job 5`, `jobs 5, 6, 7`, or the first ten ids and a count for long lists. */
function describeJobs(ids: readonly number[]): string {
  if (ids.length === 1) return `job ${ids[0]}`;
  if (ids.length <= 10) return `jobs ${ids.join(", ")}`;
  return `jobs ${ids.slice(0, 10).join(", ")}... (${ids.length} jobs)`;
}
