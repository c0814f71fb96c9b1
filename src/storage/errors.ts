/**
 * Errors of the storage layer, and the one function that decides which of
 * them are worth a retry.
 */

/**
 * A storage operation failed. The message names the operation, the table and
 * the job ids involved; the driver's error, when there is one, is the `cause`.
 */
export class StorageError extends Error {
  /** The driver's error code (`ECONNREFUSED`, `ER_LOCK_DEADLOCK`...), when known. */
  readonly code: string | undefined;
  /** The server's error number (`1213`...), when the server answered with an error. */
  readonly errno: number | undefined;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "StorageError";
    const cause = options.cause as DriverErrorFields | undefined;
    this.code = typeof cause?.code === "string" ? cause.code : undefined;
    this.errno = typeof cause?.errno === "number" ? cause.errno : undefined;
  }
}

/** The fields of a mysql2, `node:sqlite` or Node.js network error that tell what went wrong. */
interface DriverErrorFields {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  /** SQLite's result code, on `node:sqlite` errors (`code` is then `ERR_SQLITE_ERROR`). */
  errcode?: unknown;
}

/**
 * SQLite's primary result codes that mean "another connection holds the
 * lock": SQLITE_BUSY (5) and SQLITE_LOCKED (6). Extended codes carry them in
 * their low byte.
 */
const TRANSIENT_SQLITE_CODES: ReadonlySet<number> = new Set([5, 6]);

/**
 * Server error numbers that mean "try again later": the statement or the
 * connection failed, not the request itself.
 */
const TRANSIENT_SERVER_ERRNOS: ReadonlySet<number> = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN: server shutdown in progress
  1077, // ER_NORMAL_SHUTDOWN
  1078, // ER_GOT_SIGNAL
  1079, // ER_SHUTDOWN_COMPLETE
  1152, // ER_ABORTING_CONNECTION
  1158, // ER_NET_READ_ERROR
  1159, // ER_NET_READ_INTERRUPTED
  1160, // ER_NET_ERROR_ON_WRITE
  1161, // ER_NET_WRITE_INTERRUPTED
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1836, // ER_READ_ONLY_MODE: a replica during a failover
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
]);

/**
 * The code of the error a worker's operations fail with while the lock on
 * its name is lost (`worker/claim_gate.ts`): transient, the lock is being
 * taken again.
 */
export const NAME_LOCK_LOST_CODE = "JOBD_NAME_LOCK_LOST";

/** Client-side error codes of a connection that failed or was lost. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  NAME_LOCK_LOST_CODE,
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTCONN",
  "PROTOCOL_CONNECTION_LOST",
  // A statement the server did not answer within the store's time limit (a QueryTimeout).
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

/**
 * Whether an operation that failed with `err` is worth retrying unchanged:
 * the database was unreachable, went away, did not answer a statement in
 * time, was shutting down, had too many connections, or the statement lost a
 * deadlock or a lock wait (SQLite:
 * the database was busy or locked by another connection). Errors about
 * the request itself (syntax, a missing table or column, access denied, a
 * closed store) are not. Looks through `cause` chains, so a `StorageError`
 * wrapping a driver error is judged by that error.
 */
export function isTransientStorageError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const verdict = judge(current);
    if (verdict !== undefined) return verdict;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** True or false when `err` itself decides, undefined to look at its cause. */
function judge(err: object): boolean | undefined {
  if (
    err instanceof Deno.errors.ConnectionRefused ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.TimedOut
  ) {
    return true;
  }
  const { code, errno, fatal, errcode } = err as DriverErrorFields;
  if (typeof errcode === "number" && code === "ERR_SQLITE_ERROR") {
    return TRANSIENT_SQLITE_CODES.has(errcode & 0xff);
  }
  // A server error number decides on its own: a known transient one, or a request error.
  if (
    typeof errno === "number" && errno > 0 && typeof code === "string" && code.startsWith("ER_")
  ) {
    return TRANSIENT_SERVER_ERRNOS.has(errno);
  }
  if (typeof errno === "number" && TRANSIENT_SERVER_ERRNOS.has(errno)) return true;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  // mysql2 marks errors that broke the connection as fatal ("Can't add new command when
  // connection is in closed state"); the next connection may well work.
  if (fatal === true && !(typeof code === "string" && code.startsWith("ER_"))) return true;
  return undefined;
}
