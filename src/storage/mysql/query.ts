/**
 * Statements with a time limit. A database host that stops answering without
 * closing TCP (a network partition, a frozen server) would otherwise keep a
 * statement waiting for as long as TCP allows, which is hours.
 */

import type { Pool, PoolConnection, QueryResult } from "mysql2/promise";

/** The code mysql2 gives a statement that outlived its `timeout`. */
const DRIVER_TIMEOUT_CODE = "PROTOCOL_SEQUENCE_TIMEOUT";

/**
 * A statement the server did not answer in time. Its connection is closed
 * for good. It carries mysql2's code, so `isTransientStorageError` is true for
 * it, and the worker retries the operation like an outage.
 */
export class QueryTimeout extends Error {
  /** mysql2's code for a statement that outlived its time limit. */
  readonly code = DRIVER_TIMEOUT_CODE;
  /** The time limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`the query timed out after ${timeoutMs / 1000} s`, options);
    this.name = "QueryTimeout";
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Runs one statement and resolves to its rows (or the result header of a
 * write). It fails with a `QueryTimeout` when the server has not answered
 * within `timeoutMs`; the connection is then closed and never goes back to
 * the pool. On the pool itself, the statement runs on a connection taken for
 * it and given back after.
 */
export async function runQuery<T extends QueryResult>(
  on: Pool | PoolConnection,
  timeoutMs: number,
  sql: string,
  values?: unknown[],
): Promise<T> {
  if ("getConnection" in on) {
    const connection = await on.getConnection();
    try {
      return await runQuery<T>(connection, timeoutMs, sql, values);
    } finally {
      // Does nothing for a connection closed after a timeout: it has left the pool.
      connection.release();
    }
  }
  try {
    const [result] = await on.query<T>({ sql, timeout: timeoutMs }, values);
    return result;
  } catch (error) {
    throw closeIfTimedOut(on.connection, error, timeoutMs);
  }
}

/**
 * The error to report for a statement on `connection` that failed with
 * `error`. For mysql2's timeout, that is a `QueryTimeout`, and the connection
 * is closed at once (see `abandonConnection`); any other error is returned
 * as it is.
 */
export function closeIfTimedOut(
  connection: DriverConnection,
  error: unknown,
  timeoutMs: number,
): unknown {
  // Already closed by the timeout of a statement queued before this one.
  if (error instanceof QueryTimeout) return error;
  if ((error as { code?: unknown } | null)?.code !== DRIVER_TIMEOUT_CODE) return error;
  const timeout = new QueryTimeout(timeoutMs, { cause: error });
  abandonConnection(connection, timeout);
  return timeout;
}

/** What `abandonConnection` needs of a mysql2 connection (promise or callback style). */
interface DriverConnection {
  destroy(): void;
}

/**
 * Takes `connection` out of its pool and closes its socket, failing every
 * statement still queued on it with `error`. mysql2's timeout only rejects
 * the statement: the connection stays busy waiting for its answer, and its
 * `destroy()` half-closes the socket, leaving queued statements waiting for
 * an answer that may never come.
 */
export function abandonConnection(connection: DriverConnection, error: Error): void {
  connection.destroy();
  // mysql2 keeps the socket in the undocumented field `stream`.
  (connection as { stream?: { destroy(error?: Error): void } }).stream?.destroy(error);
}
