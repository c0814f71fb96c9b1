/** Short transactions with a retry when they lose a lock conflict. */

import type { PoolConnection } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { QueryTimeout, runQuery } from "./query.ts";

/** ER_LOCK_WAIT_TIMEOUT and ER_LOCK_DEADLOCK. */
const LOCK_CONFLICT_ERRNOS: ReadonlySet<number> = new Set([1205, 1213]);

/** Attempts of one transaction before a lock conflict is given up to the caller. */
export const TRANSACTION_ATTEMPTS = 4;

/** Delay before the first retry, doubled for each later one (with jitter). */
export const TRANSACTION_RETRY_DELAY_MS = 10;

/**
 * Thrown by a transaction's work when it found the rows changed under it
 * (which the locks it holds should prevent): the transaction is rolled back
 * and run again like after a deadlock.
 */
export class ConflictRetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictRetry";
  }
}

/** Whether `error` lost a lock conflict: the same transaction may well succeed on a retry. */
export function isLockConflict(error: unknown): boolean {
  if (error instanceof ConflictRetry) return true;
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" && LOCK_CONFLICT_ERRNOS.has(errno);
}

/**
 * Runs `work` in one transaction on one pooled connection and commits it.
 * On an error the transaction is rolled back; after a deadlock, a lock wait
 * timeout or a `ConflictRetry` the whole transaction runs again, up to
 * `TRANSACTION_ATTEMPTS` times with a short growing delay. Each statement,
 * `work`'s included (through `runQuery`), has the store's time limit. A
 * connection whose statement timed out, or whose rollback failed, is
 * destroyed, never returned to the pool with a transaction open or an answer
 * still due. The session isolation level (READ COMMITTED, set by the pool)
 * applies.
 */
export async function inTransaction<T>(
  context: Pick<MysqlContext, "pool" | "queryTimeoutMs">,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  const { pool, queryTimeoutMs } = context;
  for (let attempt = 1;; attempt++) {
    const connection = await pool.getConnection();
    let reusable = true;
    try {
      await runQuery(connection, queryTimeoutMs, "START TRANSACTION");
      const result = await work(connection);
      await runQuery(connection, queryTimeoutMs, "COMMIT");
      return result;
    } catch (error) {
      // A statement that timed out closed its connection: there is nothing left to roll back.
      reusable = !(error instanceof QueryTimeout) && await rollBack(connection, queryTimeoutMs);
      if (!isLockConflict(error) || attempt >= TRANSACTION_ATTEMPTS) throw error;
    } finally {
      if (reusable) connection.release();
      else connection.destroy();
    }
    const delay = TRANSACTION_RETRY_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Rolls back; false when that failed and the connection must not be reused. */
async function rollBack(connection: PoolConnection, queryTimeoutMs: number): Promise<boolean> {
  try {
    await runQuery(connection, queryTimeoutMs, "ROLLBACK");
    return true;
  } catch {
    return false;
  }
}
