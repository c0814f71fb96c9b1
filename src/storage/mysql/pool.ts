/** The mysql2 connection pool of the MySQL store. */

import mysql from "mysql2/promise";
import type { Pool } from "mysql2/promise";
import type { Logger } from "@logtape/logtape";
import { closeIfTimedOut, QueryTimeout } from "./query.ts";

/** How long connecting (TCP and the server's greeting) may take. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Idle time after which TCP keepalive starts probing a connection, so that
 * idle connections to a host that vanished are found and dropped.
 */
export const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** A MySQL/MariaDB server, the credentials to connect and the database to use. */
export interface MysqlServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Where and how to connect. */
export interface PoolSettings extends MysqlServerAddress {
  /** Most connections open at once. */
  poolSize: number;
  /** How long the statement setting up a new connection may wait for the server. */
  queryTimeoutMs: number;
}

/**
 * Creates a pool whose connections use READ COMMITTED for every transaction
 * (fewer gap locks on the jobs table) and whose lost connections are logged
 * and dropped from the pool instead of raising an unhandled 'error' event:
 * when the server goes away the process lives on, operations fail with a
 * transient error, and new connections are made once it is back. Setting up
 * a new connection has the time limit `queryTimeoutMs` like any statement:
 * if it times out, the connection is closed and the caller's first statement,
 * queued behind it, fails with the same `QueryTimeout`.
 */
export function createPool(settings: PoolSettings, logger: Logger): Pool {
  const pool = mysql.createPool({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableKeepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
    supportBigNumbers: true,
    charset: "utf8mb4_general_ci",
    // No stack trace captured at each statement for the errors it may give
    // (mysql2's default): our errors name the operation and the server's
    // message, and the capture cost about 2 % of a busy worker's CPU.
    trace: false,
  });
  pool.pool.on("connection", (connection) => {
    connection.on("error", (error: Error & { code?: string }) => {
      // One line per pooled connection: the outage itself is one warning (worker/database_watch.ts).
      logger.info("Database connection {threadId} lost: {message}", {
        threadId: connection.threadId,
        message: describeDriverError(error),
      });
    });
    // Queued before any command of the caller that asked for this connection.
    connection.query({
      sql: "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
      timeout: settings.queryTimeoutMs,
    }, (error) => {
      if (!error) return;
      // On a timeout the connection is closed, and the caller's statement fails with it.
      const failure = closeIfTimedOut(connection, error, settings.queryTimeoutMs);
      if (failure instanceof QueryTimeout) return;
      logger.warn("Cannot set READ COMMITTED on database connection {threadId}: {message}", {
        threadId: connection.threadId,
        message: describeDriverError(error),
      });
    });
  });
  return pool;
}

/**
 * The readable part of a driver error. Node's connection errors to a host
 * with several addresses are AggregateErrors with an empty message.
 */
export function describeDriverError(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") {
    const inner = error.errors.map(describeDriverError).filter((text) => text !== "");
    if (inner.length > 0) return [...new Set(inner)].join("; ");
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message !== "") return error.message;
    if (typeof code === "string") return code;
    return error.name;
  }
  return String(error);
}
