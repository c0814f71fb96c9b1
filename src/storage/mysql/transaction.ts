/** Short transactions with a retry when they lose a lock conflict. */

import type { PoolConnection } from "mysql2/promise";
import type { MysqlContext } from "./context.ts";
import { LOCK_BACKOFF, retry } from "../../retry_policy.ts";
import { isLockConflict } from "../errors.ts";
import { QueryTimeout, runQuery } from "./query.ts";

/** Attempts of one transaction before a lock conflict is given up to the caller. */
export const TRANSACTION_ATTEMPTS = 4;

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

/**
 * Whether the transaction that failed with `error` may well succeed when run
 * again: it lost a lock conflict (`storage/errors.ts`), or found its rows
 * changed under it.
 */
function mayRunAgain(error: unknown): boolean {
  return error instanceof ConflictRetry || isLockConflict(error);
}

/**
 * Runs `work` in one transaction on one pooled connection and commits it.
 * On an error the transaction is rolled back; after a deadlock, a lock wait
 * timeout or a `ConflictRetry` the whole transaction runs again, up to
 * `TRANSACTION_ATTEMPTS` times with a short growing delay (`LOCK_BACKOFF`). Each statement,
 * `work`'s included (through `runQuery`), has the store's time limit. A
 * connection whose statement timed out, or whose rollback failed, is
 * destroyed, never returned to the pool with a transaction open or an answer
 * still due. The session isolation level (READ COMMITTED, set by the pool)
 * applies.
 */
export function inTransaction<T>(
  context: Pick<MysqlContext, "pool" | "queryTimeoutMs">,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  return retry(() => attemptTransaction(context, work), {
    retryable: mayRunAgain,
    steps: LOCK_BACKOFF,
    attempts: TRANSACTION_ATTEMPTS,
  });
}

/** One attempt of {@linkcode inTransaction}. */
async function attemptTransaction<T>(
  context: Pick<MysqlContext, "pool" | "queryTimeoutMs">,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  const { pool, queryTimeoutMs } = context;
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
    throw error;
  } finally {
    if (reusable) connection.release();
    else connection.destroy();
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
