import { getLogger } from "@logtape/logtape";
import type { Request, RequestData } from "../protocol/messages.ts";
import { formatAddress } from "./address.ts";
import { CLOSE_GRACE_MS, Connection, type ConnectionOptions } from "./connection.ts";
import { RequestError } from "./errors.ts";
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
      return Promise.reject(new RequestError(`unknown request type: '${request.type}'`));
    }
    return handler(request.data, connection);
  };
}

/** Where and how a server listens. */
export interface ServerOptions extends Omit<ConnectionOptions, "onRequest" | "password"> {
  hostname: string;
  port: number;
  handlers: Handlers;
}

/** A listen address that could not be bound. */
export class ListenError extends Error {
  constructor(readonly address: string, cause: unknown) {
    super(
      `Cannot listen on ${address}: ${messageOf(cause)}`,
      {
        cause,
      },
    );
    this.name = "ListenError";
  }
}

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
        log.error("Accept failed: {error}", { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      conn.setNoDelay(true);
      const connection = new Connection(conn, {
        requiredPassword: this.#options.requiredPassword,
        alwaysAllowLocalhost: this.#options.alwaysAllowLocalhost,
        maxMessageBytes: this.#options.maxMessageBytes,
        maxQueuedBytes: this.#options.maxQueuedBytes,
        requestTimeout: this.#options.requestTimeout,
        onRequest: dispatch,
      });
      this.connections.add(connection);
      log.debug("Connection from {peer}", { peer: connection.peer });
      connection.closed.then(() => this.connections.delete(connection));
    }
  }
}
