import { getLogger } from "@logtape/logtape";
import { encodeResponse, type Request, type RequestData } from "../protocol/messages.ts";
import { formatAddress } from "./address.ts";
import { MAX_PASSWORD_WAIT_MS, MAX_UNAUTHORISED_PER_ADDRESS } from "../protocol/limits.ts";
import { CLOSE_GRACE_MS, Connection, type ConnectionOptions } from "./connection.ts";
import { ListenError, RequestError, unknownRequestType } from "./errors.ts";
import { needsPassword } from "./password.ts";
import { PasswordRefusals } from "./password_refusals.ts";
import { messageOf } from "../text.ts";

const log = getLogger(["jobd", "net"]);

/** Serves one request type: resolves with the response data, throws to answer an error. */
export type Handler = (data: RequestData, connection: Connection) => Promise<unknown>;

/** Request handlers by request type. */
export type Handlers = Readonly<Record<string, Handler>>;

/**
 * Routes a request to its handler. An unknown type is refused with
 * `unknown request type: 'X'` (docs/protocol.md, "Messages").
 */
export function dispatchTo(
  handlers: Handlers,
): (request: Request, connection: Connection) => Promise<unknown> {
  return (request, connection) => {
    const handler = Object.hasOwn(handlers, request.type) ? handlers[request.type] : undefined;
    if (!handler) {
      return Promise.reject(new RequestError(unknownRequestType(request.type)));
    }
    return handler(request.data, connection);
  };
}

/** Where and how a server listens. */
export interface ServerOptions
  extends Omit<ConnectionOptions, "onRequest" | "password" | "passwordRefusals" | "onAuthorised"> {
  hostname: string;
  port: number;
  handlers: Handlers;
  /**
   * Most connections open at once (`max_connections`); one more gets
   * {@linkcode tooManyConnections} and is closed. Absent: no limit.
   */
  maxConnections?: number;
  /**
   * Most connections of one peer address that have not given the password
   * yet (`MAX_UNAUTHORISED_PER_ADDRESS` by default); one more gets
   * {@linkcode tooManyWaitingForPassword} and is closed.
   */
  maxUnauthorisedPerAddress?: number;
  /**
   * Milliseconds a connection that must give the password may wait for a
   * request carrying it; past it the connection is closed
   * (`MAX_PASSWORD_WAIT_MS` by default).
   */
  maxPasswordWaitMs?: number;
}

/** The error sent, as a response numbered 0, to a connection over `max_connections`. */
export function tooManyConnections(limit: number): string {
  return `too many connections: this daemon takes at most ${limit} (max_connections); try again later`;
}

/**
 * The error sent, as a response numbered 0, to a connection from an address
 * that already has `limit` connections waiting to give the password.
 */
export function tooManyWaitingForPassword(host: string, limit: number): string {
  return `too many connections from ${host} have not given the password yet ` +
    `(at most ${limit}); try again later`;
}

/** Seconds between two log lines about refused connections. */
const REFUSAL_LOG_INTERVAL = 10;

/**
 * Connections over the limit being told so at once; more are closed without
 * a word, so that a flood of them cannot hold descriptors for a second each.
 */
const MAX_REFUSING = 100;

/**
 * A TCP server of the jobd protocol: accepts connections, serves their
 * requests through `handlers`, and tracks live connections.
 */
export class Server {
  /** Live connections. */
  readonly connections = new Set<Connection>();
  #listener: Deno.TcpListener;
  #options: ServerOptions;
  #acceptLoop: Promise<void>;
  #closing = false;
  /** Connections refused since the last log line about them, and when that was. */
  #refused = 0;
  #refusalLoggedAt = -Infinity;
  /** Refused connections still being answered. */
  #refusing = 0;
  /** The addresses whose password was refused, for their connections' log lines. */
  readonly #passwordRefusals = new PasswordRefusals();
  /** Connections that have not given the password yet, by peer address. */
  readonly #unauthorised = new Map<string, number>();

  private constructor(listener: Deno.TcpListener, options: ServerOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#acceptLoop = this.#accept();
  }

  /** Starts listening. Throws `ListenError` naming the address when it cannot. */
  static listen(options: ServerOptions): Server {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
    } catch (error) {
      throw new ListenError(formatAddress(options.hostname, options.port), error);
    }
    return new Server(listener, options);
  }

  /** The bound address (the real port when 0 was asked for). */
  get addr(): { hostname: string; port: number } {
    const addr = this.#listener.addr;
    return { hostname: addr.hostname, port: addr.port };
  }

  /** Stops accepting connections; live ones go on being served. Idempotent. */
  async stopListening(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#listener.close();
    }
    await this.#acceptLoop;
  }

  /**
   * Stops accepting, lets requests being served finish (up to `timeoutMs`),
   * then closes every connection.
   */
  async close(timeoutMs = CLOSE_GRACE_MS): Promise<void> {
    await this.stopListening();
    await Promise.all([...this.connections].map((c) => c.closeGracefully(timeoutMs)));
  }

  async #accept(): Promise<void> {
    const dispatch = dispatchTo(this.#options.handlers);
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing) return;
        log.error("Accept failed: {error}", { error: messageOf(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      conn.setNoDelay(true);
      const limit = this.#options.maxConnections;
      if (limit !== undefined && this.connections.size >= limit) {
        this.#refuse(conn, tooManyConnections(limit));
        continue;
      }
      const host = (conn.remoteAddr as Deno.NetAddr).hostname;
      const waiting = needsPassword(this.#options, host)
        ? this.#unauthorised.get(host) ?? 0
        : undefined;
      const perAddress = this.#options.maxUnauthorisedPerAddress ?? MAX_UNAUTHORISED_PER_ADDRESS;
      if (waiting !== undefined && waiting >= perAddress) {
        this.#refuse(conn, tooManyWaitingForPassword(host, perAddress));
        continue;
      }
      // Counted, and closed unless it gives the password in time, until it
      // gives it or closes.
      let counted = waiting !== undefined;
      let passwordWait: ReturnType<typeof setTimeout> | undefined;
      const uncount = () => {
        if (!counted) return;
        counted = false;
        clearTimeout(passwordWait);
        const left = (this.#unauthorised.get(host) ?? 1) - 1;
        if (left > 0) this.#unauthorised.set(host, left);
        else this.#unauthorised.delete(host);
      };
      if (counted) this.#unauthorised.set(host, waiting! + 1);
      const connection = new Connection(conn, {
        requiredPassword: this.#options.requiredPassword,
        alwaysAllowLocalhost: this.#options.alwaysAllowLocalhost,
        maxMessageBytes: this.#options.maxMessageBytes,
        maxMessageArrivalMs: this.#options.maxMessageArrivalMs,
        onAuthorised: uncount,
        maxQueuedBytes: this.#options.maxQueuedBytes,
        maxUnansweredRequests: this.#options.maxUnansweredRequests,
        maxUnansweredBytes: this.#options.maxUnansweredBytes,
        requestTimeout: this.#options.requestTimeout,
        passwordRefusals: this.#passwordRefusals,
        onRequest: dispatch,
      });
      this.connections.add(connection);
      if (counted) passwordWait = this.#awaitPassword(connection);
      log.debug("Connection from {peer}", { peer: connection.peer });
      connection.closed.then(() => {
        this.connections.delete(connection);
        uncount();
      });
    }
  }

  /** Closes `connection` when it has not given the password in time; the timer. */
  #awaitPassword(connection: Connection): ReturnType<typeof setTimeout> {
    const waitMs = this.#options.maxPasswordWaitMs ?? MAX_PASSWORD_WAIT_MS;
    const timer = setTimeout(() => {
      log.info("Disconnecting {peer}: no request with the password in {seconds} s", {
        peer: connection.peer,
        seconds: waitMs / 1000,
      });
      connection.close();
    }, waitMs);
    // The wait alone does not keep the process running.
    Deno.unrefTimer(timer);
    return timer;
  }

  /**
   * Answers a connection over the limit with an error and closes it: the
   * error, then the end of our side, then what the peer sent is read and
   * dropped until it closes too (so the close does not reset the connection
   * under the error), for at most a second.
   */
  #refuse(conn: Deno.TcpConn, error: string): void {
    const closeIt = () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    };
    this.#refused++;
    this.#logRefusals(error);
    if (this.#refusing >= MAX_REFUSING) return closeIt();
    this.#refusing++;
    const timer = setTimeout(closeIt, 1000);
    (async () => {
      await conn.write(encodeResponse({ no: 0, error }));
      await conn.closeWrite();
      const sink = new Uint8Array(4096);
      while (await conn.read(sink) !== null) { /* dropped */ }
    })().catch(() => {}).finally(() => {
      clearTimeout(timer);
      closeIt();
      this.#refusing--;
    });
  }

  /**
   * Logs the refused connections, at most one line per
   * `REFUSAL_LOG_INTERVAL`, with the reason of the last one.
   */
  #logRefusals(error: string): void {
    const now = performance.now();
    if (now - this.#refusalLoggedAt >= REFUSAL_LOG_INTERVAL * 1000) {
      log.warn("Refused {count} connection(s), the last one with: {error}", {
        count: this.#refused,
        error,
      });
      this.#refused = 0;
      this.#refusalLoggedAt = now;
    }
  }
}
