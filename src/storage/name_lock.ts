/**
 * One worker per name: before a worker reads or changes a row, it holds an
 * exclusive lock on its `name` in the database that holds its jobs table
 * (MySQL/MariaDB: `GET_LOCK` on a connection of its own; SQLite: a locked
 * file beside the database). A second worker with the same name cannot get
 * it and stops, naming the first. The lock dies with the process that holds
 * it, so a crashed worker's successor gets it at once.
 */

import type { WorkerConfig } from "../config/worker_config.ts";
import { StorageError } from "./errors.ts";

/** An exclusive hold on a worker name, kept until `release()`. */
export interface NameLock {
  /** The worker name held. */
  readonly name: string;
  /**
   * Whether the lock is held now. A MySQL lock lives as long as its
   * connection: when that is lost, this is false until the lock is taken
   * again (which is tried in the background).
   */
  readonly held: boolean;
  /**
   * While the lock is lost, tries to take it again now instead of at the end
   * of the current backoff wait (the database answers again); does nothing
   * while it is held, being tried, or released.
   */
  retryNow(): void;
  /** Gives the lock up and stops trying to take it again. Later calls do nothing. */
  release(): Promise<void>;
}

/** What a lock tells its owner while it runs. */
export interface NameLockEvents {
  /** The lock was lost (its connection is gone): `reason` says why. */
  onLost?(reason: string): void;
  /** The lock is held again after a loss. */
  onRegained?(): void;
  /**
   * The database's clock (unix time in ms, to the microsecond), read by the lock's
   * statements (MySQL: at start and every 5 s), with the host's clock before
   * and after the statement.
   */
  onDatabaseClock?(reading: { databaseMs: number; sentAt: number; receivedAt: number }): void;
}

/** Another worker holds the name: the message names it and, where known, that worker's address. */
export class NameTakenError extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = "NameTakenError";
  }
}

/**
 * The text of a `NameTakenError`: `name` is in use on `where` (the table and
 * what holds it) by another worker, described by `holder` when known.
 */
export function nameTakenMessage(name: string, where: string, holder: string | undefined): string {
  return `The worker name '${name}' is in use by another worker on the ${where}` +
    `${holder ? ` (${holder})` : ""}; stop it, or give each worker a 'name' of its own`;
}

/**
 * The lock of the name of the config's worker on the config's table, taken
 * now. Throws a `NameTakenError` when another worker holds it, and a
 * `StorageError` when the database cannot be reached.
 */
export async function lockWorkerName(
  config: WorkerConfig,
  events: NameLockEvents = {},
): Promise<NameLock> {
  const { storage } = config;
  const address = `${config.host}:${config.port}`;
  switch (storage.kind) {
    case "mysql": {
      const { lockMysqlWorkerName } = await import("./mysql/name_lock.ts");
      return lockMysqlWorkerName({ ...storage, workerName: config.name }, events);
    }
    case "sqlite": {
      const { lockSqliteWorkerName } = await import("./sqlite/name_lock.ts");
      return lockSqliteWorkerName({
        path: storage.path,
        table: storage.table,
        workerName: config.name,
        address,
      });
    }
  }
}
