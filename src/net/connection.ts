import { getLogger } from "@logtape/logtape";
import { DEFAULT_MAX_MESSAGE_BYTES, EotFramer, MessageTooLargeError } from "../protocol/framing.ts";
import {
  decodeMessage,
  encodePing,
  encodePong,
  encodeRequest,
  encodeResponse,
  MAX_REQUEST_NUMBER,
  ProtocolError,
  type Request,
  type RequestData,
  type Response,
} from "../protocol/messages.ts";
import { inProgressRefusal, MAX_QUEUED_ANSWER_BYTES } from "../protocol/limits.ts";
import { formatAddress } from "./address.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestError,
  RequestTimeoutError,
  unknownRequestType,
} from "./errors.ts";
import { messageOf } from "../text.ts";
import type { ConnectionOptions, RequestOptions } from "./connection_options.ts";
import { ArrivalWatch } from "./arrival_watch.ts";
import { Outbox } from "./outbox.ts";
import { needsPassword, passwordsMatch } from "./password.ts";
import { logRefusedPassword } from "./password_refusals.ts";
import { followingRequestNumber, takeRequestNumber, TimedOutRequests } from "./request_numbers.ts";

export type { ConnectionOptions, RequestHandler, RequestOptions } from "./connection_options.ts";

const log = getLogger(["jobd", "net"]);

/** Bytes read from the socket at a time. */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * Default bound on the bytes of our messages waiting to be sent: past it,
 * nothing more is read from the peer until they are out.
 */
export const DEFAULT_MAX_QUEUED_BYTES = MAX_QUEUED_ANSWER_BYTES;

/**
 * Milliseconds a closing connection (and a closing server, for each of its
 * connections) waits for answers still being written, run-manual answers
 * among them: 5 s.
 */
export const CLOSE_GRACE_MS = 5_000;

/** The error text sent for a wrong or missing password (docs/protocol.md, "Password"). */
export const INVALID_PASSWORD = "invalid password";

interface PendingRequest {
  type: string;
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * One peer of the jobd protocol, for accepted and outgoing sockets alike:
 * reads messages, answers pings, serves the peer's requests through
 * `onRequest`, matches responses to our requests by number, enforces the
 * password rule, and rejects every pending request when the socket closes.
 */
export class Connection {
  /** The peer's address. */
  readonly remoteAddr: { hostname: string; port: number };
  /** Time (ms since epoch) a message last arrived from the peer. */
  lastReceivedAt = Date.now();
  /** Number of pongs received. */
  pongsReceived = 0;
  /** Number of responses to our requests received (late ones included). */
  responsesReceived = 0;

  #conn: Deno.Conn;
  #outbox: Outbox;
  #options: ConnectionOptions;
  #pending = new Map<number, PendingRequest>();
  readonly #timedOut = new TimedOutRequests();
  #nextNo: number;
  #authorised: boolean;
  #passwordChecked = false;
  /** Set when the peer's password was refused: nothing more is read from it. */
  #refused = false;
  #passwordSent = false;
  #isClosed = false;
  #closed: Promise<void>;
  #markClosed!: () => void;
  /** Requests of the peer being served (not answered yet), and their bytes. */
  #serving = 0;
  #servingBytes = 0;
  /** Settled at the peer's next pong or response, or at the close: see `nextAnswer`. */
  #nextAnswer: PromiseWithResolvers<boolean> | undefined;
  /** Resolved when the queued bytes fall back within the bound (or the connection closes). */
  #writable: PromiseWithResolvers<void> | undefined;
  /** Cuts the peer's bytes into messages. */
  readonly #framer: EotFramer;
  /** Ends the connection when a message the peer began does not end in time. */
  readonly #arrival: ArrivalWatch;

  constructor(conn: Deno.Conn, options: ConnectionOptions = {}) {
    this.#conn = conn;
    this.#options = options;
    const first = options.firstRequestNumber;
    if (
      first !== undefined && !(Number.isInteger(first) && first >= 1 && first < MAX_REQUEST_NUMBER)
    ) {
      conn.close();
      throw new RangeError(
        `'firstRequestNumber' must be an integer from 1 to 999999, got ${first}`,
      );
    }
    this.#nextNo = first ?? 1 + Math.floor(Math.random() * (MAX_REQUEST_NUMBER - 1));
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddr = { hostname: addr.hostname, port: addr.port };
    this.#authorised = !needsPassword(options, addr.hostname);
    this.#outbox = new Outbox(conn.writable.getWriter(), {
      onWritten: () => {
        if (this.#overQueued()) return;
        this.#writable?.resolve();
        this.#writable = undefined;
      },
      onError: (error) => {
        log.debug("Write to {peer} failed: {error}", { peer: this.peer, error: messageOf(error) });
        this.close();
      },
    });
    this.#closed = new Promise((resolve) => this.#markClosed = resolve);
    this.#framer = new EotFramer(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.#arrival = new ArrivalWatch(
      () => this.peer,
      () => this.close(),
      options.maxMessageArrivalMs,
    );
    this.#readLoop();
  }

  /** Opens a TCP connection to `host:port`. Throws `ConnectError` naming the address. */
  static async connect(host: string, port: number, options: ConnectionOptions = {}) {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: host, port });
    } catch (error) {
      throw new ConnectError(host, port, error);
    }
    conn.setNoDelay(true);
    return new Connection(conn, options);
  }

  /** `host:port` of the peer. */
  get peer(): string {
    return formatAddress(this.remoteAddr.hostname, this.remoteAddr.port);
  }

  /** Resolves when the connection has closed, for whatever reason. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Whether the connection has closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * Whether the peer gave the right password (not merely let in as a
   * loopback peer, nor on a connection that needs none).
   */
  get passwordChecked(): boolean {
    return this.#passwordChecked;
  }

  /** Number of our requests still waiting for a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends a request and resolves with the response's data. Rejects with
   * `RemoteError` (the peer's error text), `RequestTimeoutError` or
   * `ConnectionClosedError`.
   */
  request(type: string, data: RequestData = {}, options: RequestOptions = {}): Promise<unknown> {
    if (this.#isClosed) {
      const message = `Cannot send '${type}' to ${this.peer}: the connection is closed`;
      return Promise.reject(new ConnectionClosedError(message, { sent: false }));
    }
    const no = this.#takeNumber();
    const request: Request = { no, type, data };
    const withPassword = !this.#passwordSent && !!this.#options.password;
    if (withPassword) request.password = this.#options.password;
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest(request);
    } catch (error) {
      // Data JSON cannot carry (BigInt, cycles): nothing is sent or left pending.
      const detail = messageOf(error);
      return Promise.reject(new TypeError(`Cannot encode request '${type}': ${detail}`));
    }
    if (withPassword) this.#passwordSent = true;
    return new Promise((resolve, reject) => {
      const pending: PendingRequest = { type, resolve, reject };
      const timeout = options.timeout ?? this.#options.requestTimeout;
      if (timeout !== undefined) {
        pending.timer = setTimeout(() => {
          this.#pending.delete(no);
          this.#timedOut.add(no, type);
          reject(new RequestTimeoutError(type, timeout));
        }, timeout * 1000);
      }
      this.#pending.set(no, pending);
      log.debug("Sending request {type} no {no} to {peer}", { type, no, peer: this.peer });
      this.#write(bytes, false);
    });
  }

  /**
   * Resolves true when the peer next sends a pong or a response (to any of our
   * requests, a late one too), false when the connection closes first.
   */
  nextAnswer(): Promise<boolean> {
    if (this.#isClosed) return Promise.resolve(false);
    this.#nextAnswer ??= Promise.withResolvers();
    return this.#nextAnswer.promise;
  }

  #answered(answered: boolean): void {
    this.#nextAnswer?.resolve(answered);
    this.#nextAnswer = undefined;
  }

  /** Sends a ping; the peer's pong increments `pongsReceived`. */
  ping(): void {
    if (!this.#isClosed) this.#write(encodePing(), false);
  }

  /** Closes the socket; pending requests are rejected. Idempotent. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#arrival.stop();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
    for (const [no, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new ConnectionClosedError(
          `Connection to ${this.peer} closed before request '${pending.type}' (no ${no}) was answered`,
        ),
      );
    }
    this.#pending.clear();
    this.#outbox.close();
    this.#writable?.resolve();
    this.#answered(false);
    this.#markClosed();
  }

  /**
   * Closes once every request being served has been answered, or after
   * `timeoutMs`, whichever comes first.
   */
  async closeGracefully(timeoutMs = CLOSE_GRACE_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      (this.#serving > 0 || this.#outbox.answerBytes > 0) && !this.#isClosed &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.close();
  }

  #takeNumber(): number {
    const no = takeRequestNumber(this.#nextNo, (candidate) => this.#pending.has(candidate));
    this.#nextNo = followingRequestNumber(no);
    return no;
  }

  /**
   * Queues bytes for the peer; resolves once written (or dropped by a
   * close). `answer`: a response or pong, which counts towards the bound
   * that stops reading (our own requests do not: not reading the peer's
   * answers to them would not get them out any sooner).
   */
  #write(bytes: Uint8Array, answer = true): Promise<void> {
    return this.#outbox.write(bytes, answer);
  }

  #overQueued(): boolean {
    return this.#outbox.answerBytes > (this.#options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const bytes of this.#messages()) {
        this.lastReceivedAt = Date.now();
        this.#receive(bytes);
        if (this.#isClosed) break;
        // A peer that does not read what we send is not read from either,
        // so what waits to be sent stays bounded.
        if (this.#overQueued()) {
          this.#arrival.pause();
          this.#writable ??= Promise.withResolvers();
          await this.#writable.promise;
          if (this.#isClosed) break;
          this.#arrival.resume(this.#framer.partialBytes > 0);
        }
      }
    } catch (error) {
      if (error instanceof MessageTooLargeError && !this.#isClosed) {
        log.warn("Disconnecting {peer}: {error}", { peer: this.peer, error: error.message });
        await this.#write(encodeResponse({ no: 0, error: error.message }));
      } else if (!this.#isClosed) {
        log.debug("Read from {peer} failed: {error}", { peer: this.peer, error: messageOf(error) });
      }
    } finally {
      this.close();
    }
  }

  /**
   * The peer's messages as they arrive. Every read goes into one buffer for
   * the connection's life (the framer copies what it keeps): a new buffer per
   * read left the C allocator's heap in pieces it never gave back, which a
   * long-running daemon's RSS showed.
   */
  async *#messages(): AsyncGenerator<Uint8Array> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    try {
      for (;;) {
        const count = await this.#conn.read(buffer);
        if (count === null) return;
        const messages = this.#framer.push(buffer.subarray(0, count));
        this.#arrival.partial(this.#framer.partialBytes > 0, messages.length > 0);
        yield* messages;
      }
    } finally {
      this.#arrival.stop();
    }
  }

  #receive(bytes: Uint8Array): void {
    // After a refused password the connection is closing: requests
    // pipelined behind the refused one must not be served.
    if (this.#refused) return;
    let message;
    try {
      message = decodeMessage(bytes);
    } catch (error) {
      const text = error instanceof ProtocolError ? error.message : String(error);
      const no = error instanceof ProtocolError ? error.no : 0;
      log.info("Malformed message from {peer}: {error}", { peer: this.peer, error: text });
      this.#write(encodeResponse({ no, error: text }));
      return;
    }
    switch (message.kind) {
      case "ping":
        this.#write(encodePong());
        return;
      case "pong":
        this.pongsReceived++;
        this.#answered(true);
        return;
      case "response":
        this.responsesReceived++;
        this.#answered(true);
        this.#settle(message.response);
        return;
      case "request":
        if (!this.#authorise(message.request)) return;
        if (!this.#admit(message.request, bytes.length)) return;
        this.#serve(message.request, bytes.length);
        return;
    }
  }

  #authorise(request: Request): boolean {
    if (this.#authorised) {
      // A loopback peer let in without it may still prove it has the password.
      if (
        !this.#passwordChecked && request.password !== undefined &&
        !!this.#options.requiredPassword &&
        passwordsMatch(request.password, this.#options.requiredPassword)
      ) this.#passwordChecked = true;
      return true;
    }
    if (
      request.password !== undefined &&
      passwordsMatch(request.password, this.#options.requiredPassword!)
    ) {
      this.#authorised = this.#passwordChecked = true;
      this.#options.passwordRefusals?.accepted(this.remoteAddr.hostname);
      this.#options.onAuthorised?.();
      return true;
    }
    logRefusedPassword(this.#options.passwordRefusals, this.peer, this.remoteAddr.hostname, {
      type: request.type,
    });
    this.#refused = true;
    this.#write(encodeResponse({ no: request.no, error: INVALID_PASSWORD })).finally(() =>
      this.close()
    );
    return false;
  }

  /**
   * Whether a request fits the bounds on what the peer may have served at
   * once; one that does not is answered at once with an error naming them.
   */
  #admit(request: Request, size: number): boolean {
    const error = inProgressRefusal(this.#serving, this.#servingBytes, size, {
      maxRequests: this.#options.maxUnansweredRequests,
      maxBytes: this.#options.maxUnansweredBytes,
    });
    if (error === undefined) return true;
    log.info("Refused request {type} from {peer}: {error}", {
      type: request.type,
      peer: this.peer,
      error,
    });
    this.#write(encodeResponse({ no: request.no, error }));
    return false;
  }

  async #serve(request: Request, size: number): Promise<void> {
    this.#serving++;
    this.#servingBytes += size;
    let response: Response;
    try {
      if (!this.#options.onRequest) {
        throw new RequestError(unknownRequestType(request.type));
      }
      const data = await this.#options.onRequest(request, this);
      response = { no: request.no, data: data === undefined ? "ok" : data };
    } catch (error) {
      if (!(error instanceof RequestError)) {
        log.error("Request {type} from {peer} failed: {error}", {
          type: request.type,
          peer: this.peer,
          error,
        });
      }
      response = { no: request.no, error: messageOf(error) };
    }
    this.#serving--;
    this.#servingBytes -= size;
    // Queued, not awaited: a peer that does not read holds its answers'
    // bytes, not a suspended call per answer (closeGracefully() waits for the
    // queue to empty).
    if (!this.#isClosed) this.#write(this.#encodeAnswer(response, request.type));
  }

  /** Encodes a response; data JSON cannot carry (BigInt, cycles) becomes an error response. */
  #encodeAnswer(response: Response, type: string): Uint8Array {
    try {
      return encodeResponse(response);
    } catch (error) {
      const detail = messageOf(error);
      log.error("Response to {type} from {peer} cannot be encoded: {error}", {
        type,
        peer: this.peer,
        error: detail,
      });
      return encodeResponse({ no: response.no, error: `Cannot encode the response: ${detail}` });
    }
  }

  #settle(response: Response): void {
    let no = response.no;
    // A response numbered 0 answers a message the peer could not parse; it
    // can only be matched when exactly one request is pending.
    if (no === 0 && this.#pending.size === 1) no = this.#pending.keys().next().value!;
    const pending = this.#pending.get(no);
    if (!pending) {
      const late = this.#timedOut.take(no);
      log.info(
        late === undefined
          ? "Unexpected response no {no} from {peer}: {error}"
          : "Late answer to request {type} no {no} from {peer}: it came after the request timed out",
        { type: late, no, peer: this.peer, error: response.error ?? "no request of it is waiting" },
      );
      return;
    }
    this.#pending.delete(no);
    clearTimeout(pending.timer);
    if (response.error !== undefined) pending.reject(new RemoteError(response.error, pending.type));
    else pending.resolve(response.data);
  }
}
