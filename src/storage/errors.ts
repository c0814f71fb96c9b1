/**
 * Errors of the storage layer, and the one function that decides which of
 * them are worth a retry ({@linkcode classifyStorageError}); the retries
 * themselves follow `src/retry_policy.ts`.
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
  message?: unknown;
}

/**
 * SQLite's primary result codes that mean "another connection holds the
 * lock": SQLITE_BUSY (5) and SQLITE_LOCKED (6). Extended codes carry them in
 * their low byte.
 */
const SQLITE_LOCK_CODES: ReadonlySet<number> = new Set([5, 6]);

/**
 * SQLite's primary result code of a full disk, SQLITE_FULL (13): an outage,
 * not a refusal. The write works once space is freed; refused, a job's
 * output would be replaced by a note for good.
 */
const SQLITE_FULL = 13;

/** Server error numbers of a statement that lost a lock conflict. */
const LOCK_ERRNOS: ReadonlySet<number> = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
]);

/** Client-side error codes of a statement that lost a lock conflict. */
const LOCK_CODES: ReadonlySet<string> = new Set([
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

/**
 * Server error numbers that mean "try again later": the statement or the
 * connection failed, not the request itself.
 */
const OUTAGE_ERRNOS: ReadonlySet<number> = new Set([
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
  1021, // ER_DISK_FULL: the server's disk is full
  1037, // ER_OUTOFMEMORY
  1041, // ER_OUT_OF_RESOURCES: the server is out of memory
  1114, // ER_RECORD_FILE_FULL: "The table is full" (InnoDB cannot grow its tablespace)
  1290, // ER_OPTION_PREVENTS_STATEMENT: a server running --read-only (a demoted primary)
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
 * its name is lost (`worker/claim_gate.ts`): an outage, the lock is being
 * taken again.
 */
export const NAME_LOCK_LOST_CODE = "JOBD_NAME_LOCK_LOST";

/** Client-side error codes of a connection that failed or was lost. */
const OUTAGE_CODES: ReadonlySet<string> = new Set([
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
]);

/**
 * Why a storage operation failed, as far as a retry is concerned:
 * - `lock conflict`: the statement lost a deadlock or a lock wait (SQLite:
 *   another connection kept the database busy or locked); the same
 *   transaction may well succeed when run again soon.
 * - `outage`: the database was unreachable, went away, did not answer a
 *   statement in time, was shutting down, had too many connections, was out
 *   of memory or disk space, or was read-only (a failover; SQLite: its disk
 *   was full); the operation may succeed once it is back.
 * - `refused`: the request itself failed (syntax, a missing table or column,
 *   access denied, a closed store); running it again would fail again.
 */
export type StorageFailure = "lock conflict" | "outage" | "refused";

/**
 * The log level of one retry after `err`: an outage is one warning of its
 * own (worker/database_watch.ts), not one per retry; a lock conflict is a
 * warning; anything else an error.
 */
export function retryLogLevel(err: unknown): "debug" | "warn" | "error" {
  const failure = classifyStorageError(err);
  return failure === "outage" ? "debug" : failure === "lock conflict" ? "warn" : "error";
}

/**
 * The one function that decides which storage errors are retried (and
 * how): looks through `cause` chains, so a `StorageError` wrapping a driver
 * error is judged by that error.
 */
export function classifyStorageError(err: unknown): StorageFailure {
  for (const current of causeChain(err)) {
    const verdict = judge(current);
    if (verdict !== undefined) return verdict;
  }
  return "refused";
}

/**
 * `err` and the errors in its `cause` chain, outermost first, as long as
 * each is an object; a cycle of causes ends it.
 */
export function* causeChain(err: unknown): Generator<object> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * Whether an operation that failed with `err` is worth retrying unchanged:
 * a lock conflict or an outage (see {@linkcode classifyStorageError}).
 */
export function isTransientStorageError(err: unknown): boolean {
  return classifyStorageError(err) !== "refused";
}

/** Whether `err` lost a lock conflict: the same transaction may well succeed when run again. */
export function isLockConflict(err: unknown): boolean {
  return classifyStorageError(err) === "lock conflict";
}

/** The verdict when `err` itself decides, undefined to look at its cause. */
function judge(err: object): StorageFailure | undefined {
  if (
    err instanceof Deno.errors.ConnectionRefused ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.TimedOut
  ) {
    return "outage";
  }
  const { code, errno, fatal, errcode, message } = err as DriverErrorFields;
  // node:sqlite's errors carry SQLite's result code (their `code` is `ERR_SQLITE_ERROR`).
  if (typeof errcode === "number") {
    if (SQLITE_LOCK_CODES.has(errcode & 0xff)) return "lock conflict";
    return (errcode & 0xff) === SQLITE_FULL ? "outage" : "refused";
  }
  // Errors of node:sqlite's `DatabaseSync.exec()` carry no code, only the message.
  if (typeof message === "string" && /^database (table )?is locked/.test(message)) {
    return "lock conflict";
  }
  const known = typeof errno === "number" ? byErrno(errno) : undefined;
  // A server error number decides on its own: a known transient one, or a request error.
  if (
    typeof errno === "number" && errno > 0 && typeof code === "string" && code.startsWith("ER_")
  ) {
    return known ?? "refused";
  }
  if (known) return known;
  if (typeof code === "string" && LOCK_CODES.has(code)) return "lock conflict";
  if (typeof code === "string" && OUTAGE_CODES.has(code)) return "outage";
  // mysql2 marks errors that broke the connection as fatal ("Can't add new command when
  // connection is in closed state"); the next connection may well work.
  if (fatal === true && !(typeof code === "string" && code.startsWith("ER_"))) return "outage";
  return undefined;
}

/**
 * Server error numbers of an outage in which the server still answers reads
 * and refuses writes: a full disk or table, a read-only server.
 */
const WRITE_REFUSAL_ERRNOS: ReadonlySet<number> = new Set([1021, 1114, 1290, 1836]);

/**
 * Whether `err` (or its cause) is an outage of writes only: SQLite's full
 * disk, or a server whose disk or table is full or that is read-only. Reads
 * work meanwhile, so one that works does not end such an outage.
 */
export function refusesWritesOnly(err: unknown): boolean {
  for (const current of causeChain(err)) {
    const { errno, errcode } = current as DriverErrorFields;
    if (typeof errcode === "number") return (errcode & 0xff) === SQLITE_FULL;
    if (typeof errno === "number" && WRITE_REFUSAL_ERRNOS.has(errno)) return true;
  }
  return false;
}

function byErrno(errno: number): StorageFailure | undefined {
  if (LOCK_ERRNOS.has(errno)) return "lock conflict";
  if (OUTAGE_ERRNOS.has(errno)) return "outage";
  return undefined;
}
