/**
 * The options of a {@linkcode Connection} and of its requests.
 *
 * @module
 */

import type { Request } from "../protocol/messages.ts";
import type { Connection } from "./connection.ts";
import type { PasswordRefusals } from "./password_refusals.ts";

/** Serves one request from the peer; the resolved value is the response data. */
export type RequestHandler = (request: Request, connection: Connection) => Promise<unknown>;

/** How a connection behaves; every field is optional. */
export interface ConnectionOptions {
  /** The password the peer's first request must carry. Empty or absent: none. */
  requiredPassword?: string;
  /** Authorise loopback peers without a password. */
  alwaysAllowLocalhost?: boolean;
  /** The password sent with our first request, when non-empty. */
  password?: string;
  /** Largest message accepted from the peer, in bytes. */
  maxMessageBytes?: number;
  /**
   * Bytes of our messages that may wait to be sent before we stop reading
   * from the peer (a peer that sends without reading gets no further).
   */
  maxQueuedBytes?: number;
  /**
   * Requests of the peer served at once (`MAX_UNANSWERED_REQUESTS` by
   * default); one more is answered at once with an error.
   */
  maxUnansweredRequests?: number;
  /**
   * Bytes of the peer's requests served at once (`MAX_UNANSWERED_REQUEST_BYTES`
   * by default); a request that would pass it while others are served is
   * answered at once with an error.
   */
  maxUnansweredBytes?: number;
  /**
   * Milliseconds a message of the peer may take to arrive once its first
   * byte did; past it the connection is closed (`MAX_MESSAGE_ARRIVAL_MS` by
   * default). An idle connection, with no message begun, has no limit.
   */
  maxMessageArrivalMs?: number;
  /** Called once when a connection that had to give the password gives it. */
  onAuthorised?: () => void;
  /**
   * The refused passwords of the server this connection belongs to, shared by
   * its connections: a peer refused again and again is warned of once.
   */
  passwordRefusals?: PasswordRefusals;
  /** Serves requests from the peer. Without it, each gets an error response. */
  onRequest?: RequestHandler;
  /** Seconds our requests wait for a response by default; absent: no limit. */
  requestTimeout?: number;
  /**
   * Number of our first request, from 1 to 999,999. Absent: a random one.
   * For tests and for reading traces.
   */
  firstRequestNumber?: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Seconds to wait for the response; overrides the connection's default. */
  timeout?: number;
}
