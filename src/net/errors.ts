/** Errors of the connection layer, each a small named class callers can test for. */

import { messageOf } from "../text.ts";

/**
 * The connection closed (or was closed) before the request was answered.
 * `sent` is false when it was closed already, so that the request never
 * left: the peer surely did nothing.
 */
export class ConnectionClosedError extends Error {
  readonly sent: boolean;

  constructor(message: string, options: { sent?: boolean } = {}) {
    super(message);
    this.name = "ConnectionClosedError";
    this.sent = options.sent ?? true;
  }
}

/** The peer answered the request with an error response; `message` is its text. */
export class RemoteError extends Error {
  constructor(message: string, readonly requestType: string) {
    super(message);
    this.name = "RemoteError";
  }
}

/**
 * The error text of a request whose type the daemon does not know, as the
 * older daemons answer it too: `unknown request type: 'X'`.
 */
export function unknownRequestType(type: string): string {
  return `unknown request type: '${type}'`;
}

/**
 * Whether `error` is the peer's answer that it does not know `type`, the
 * request's own type (an older daemon asked a newer request): it did
 * nothing. Only the exact text counts: a refusal that merely begins so (a
 * handler's own error, another type named) proves nothing about a request
 * that changes rows.
 */
export function isUnknownRequestType(error: unknown, type: string): boolean {
  return error instanceof RemoteError && error.message === unknownRequestType(type);
}

/** No response arrived within the request's timeout. */
export class RequestTimeoutError extends Error {
  constructor(readonly requestType: string, readonly seconds: number) {
    super(`Request '${requestType}' timed out: no response within ${seconds} s`);
    this.name = "RequestTimeoutError";
  }
}

/** A connection could not be established. */
export class ConnectError extends Error {
  constructor(readonly host: string, readonly port: number, cause: unknown) {
    super(
      `Cannot connect to ${host}:${port}: ${messageOf(cause)}`,
      { cause },
    );
    this.name = "ConnectError";
  }
}

/**
 * A request a handler refuses: its message is sent to the client as the
 * error response, unchanged. Handlers throw it for bad input.
 */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/** A listen address that could not be bound. */
export class ListenError extends Error {
  /** The config key of the port: `port`, or `http_port` for the HTTP server. */
  readonly key: string;

  constructor(
    readonly address: string,
    cause: unknown,
    options: { key?: string; service?: string } = {},
  ) {
    const service = options.service === undefined ? "" : ` for ${options.service}`;
    super(`Cannot listen${service} on ${address}: ${messageOf(cause)}`, { cause });
    this.name = "ListenError";
    this.key = options.key ?? "port";
  }

  /**
   * What to do, for a port another process holds (empty otherwise): `program`
   * is the daemon's name, `configPath` its config file.
   */
  hint(program: string, configPath: string): string {
    if (!(this.cause instanceof Deno.errors.AddrInUse)) return "";
    return `; another ${program} running there? Stop it, or choose another port with ` +
      `'${this.key}' in ${configPath}`;
  }
}
