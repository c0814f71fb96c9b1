/**
 * The daemons' HTTP server (`http_port`): a fixed table of routes on
 * `Deno.serve` (HEAD answered as GET without the body), basic auth in front
 * of them when `password` is set, and bounds on what a request may make the
 * daemon hold. A route that throws answers 500 and is logged; it never takes
 * the daemon down.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { formatAddress, isLoopback } from "../net/address.ts";
import { ListenError } from "../net/errors.ts";
import { logRefusedPassword, PasswordRefusals } from "../net/password_refusals.ts";
import { passwordsMatch } from "../net/password.ts";
import { messageOf } from "../text.ts";
import { joinChunks } from "../bytes.ts";

const log = getLogger(["jobd", "http"]);

/** Most bytes of a request body (a longer one is answered 413). */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

/** Most bytes of a request's header names and values together (more is answered 431). */
export const MAX_HTTP_HEADER_BYTES = 16 * 1024;

/** One endpoint: a method and an exact path, and what answers it. */
export interface HttpRoute {
  readonly method: "GET" | "POST";
  /** The exact path (`/metrics`); the query string is not part of it. */
  readonly path: string;
  /** Answers a request; its body, if any, is already read and at most {@linkcode MAX_HTTP_BODY_BYTES}. */
  handle(request: Request): Promise<Response> | Response;
  /**
   * A page for browsers, or what its script calls (the status page): let in
   * without a password, a request must name the server by its address or
   * `localhost` in its `Host`, so that another site's page cannot reach it
   * by pointing a name of its own at this address (DNS rebinding).
   */
  readonly forBrowsers?: boolean;
}

/** Options of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  /** The address to listen on (`http_host`). */
  hostname: string;
  /** The port (`http_port`); 0 takes a free one (tests). */
  port: number;
  routes: readonly HttpRoute[];
  /** `password`: asked for with basic auth (any user name); none when undefined. */
  password?: string;
  /** `always_allow_localhost`: loopback peers need no password. */
  alwaysAllowLocalhost?: boolean;
}

/** A listening HTTP server. */
export interface HttpServer {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly hostname: string;
  /** Stops listening, lets the requests being answered finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP server. Throws an error naming the address when it cannot
 * listen (port taken, address not local).
 */
export function startHttpServer(options: HttpServerOptions): HttpServer {
  const answer = httpHandler(options);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        log.error("HTTP request failed: {error}", { error: messageOf(error) });
        return withNoSniff(plain(500, "internal error"));
      },
    }, answer);
  } catch (error) {
    throw new ListenError(`${options.hostname}:${options.port}`, error, {
      key: "http_port",
      service: "HTTP",
    });
  }
  let closing: Promise<void> | undefined;
  return {
    port: server.addr.port,
    hostname: server.addr.hostname,
    close() {
      closing ??= server.shutdown().catch((error) => {
        log.warn("HTTP server did not close cleanly: {error}", { error: messageOf(error) });
      });
      return closing;
    },
  };
}

/**
 * The request handler of {@linkcode startHttpServer}, without the listener:
 * bounds, auth, routing, errors, and {@linkcode SECURITY_HEADERS} on every answer.
 */
export function httpHandler(
  options: Pick<HttpServerOptions, "routes" | "password" | "alwaysAllowLocalhost">,
): (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response> {
  const byPath = new Map<string, HttpRoute[]>();
  for (const route of options.routes) {
    const list = byPath.get(route.path) ?? [];
    if (list.some((other) => other.method === route.method)) {
      throw new Error(`Two HTTP routes for ${route.method} ${route.path}`);
    }
    list.push(route);
    byPath.set(route.path, list);
  }
  // A wrong password is logged as the protocol's are: once per address, then counted.
  const refusals = new PasswordRefusals();
  const answer = async (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> => {
    if (headerBytes(request.headers) > MAX_HTTP_HEADER_BYTES) {
      return plain(431, "request headers too large");
    }
    const loopbackAllowed = options.alwaysAllowLocalhost === true &&
      isLoopback(info.remoteAddr.hostname);
    if (options.password !== undefined && !loopbackAllowed) {
      const given = request.headers.get("authorization");
      const { hostname, port } = info.remoteAddr;
      if (authorized(given, options.password)) {
        refusals.accepted(hostname);
      } else {
        // No header at all is a browser's first try, before it asks its user.
        if (given !== null) {
          const type = `HTTP ${request.method} ${new URL(request.url).pathname}`;
          logRefusedPassword(refusals, formatAddress(hostname, port), hostname, { type });
        }
        return plain(401, "password required", {
          "www-authenticate": 'Basic realm="jobd", charset="UTF-8"',
        });
      }
    }
    const letInWithoutPassword = options.password === undefined || loopbackAllowed;
    const path = new URL(request.url).pathname;
    const candidates = byPath.get(path);
    if (candidates === undefined) return plain(404, "not found");
    // HEAD is a GET without the body (uptime checkers use it).
    const head = request.method === "HEAD";
    const method = head ? "GET" : request.method;
    const route = candidates.find((candidate) => candidate.method === method);
    if (route === undefined) {
      return plain(405, "method not allowed", {
        allow: candidates.flatMap((candidate) =>
          candidate.method === "GET" ? ["GET", "HEAD"] : [candidate.method]
        ).join(", "),
      });
    }
    const host = request.headers.get("host");
    if (route.forBrowsers && letInWithoutPassword && host !== null && !namesAnAddress(host)) {
      return plain(
        403,
        `this page answers a request for the name '${host.slice(0, 100)}' only with a password: ` +
          "set 'password', or open it by the server's address or localhost",
      );
    }
    let bounded: Request;
    try {
      const read = await readBoundedBody(request);
      if (read === undefined) return plain(413, "request body too large");
      bounded = read;
    } catch (error) {
      return plain(400, `cannot read the request body: ${messageOf(error)}`);
    }
    try {
      const response = await route.handle(bounded);
      return head ? withoutBody(response) : response;
    } catch (error) {
      log.error("HTTP {method} {path} failed: {error}", {
        method: request.method,
        path,
        error: messageOf(error),
      });
      return plain(500, "internal error");
    }
  };
  return async (request, info) => withNoSniff(await answer(request, info));
}

/**
 * Whether a `Host` header names the server by an address (IPv4, bracketed
 * IPv6) or as `localhost`, with or without a port: names a site's DNS could
 * point elsewhere are not.
 */
export function namesAnAddress(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  if (name.startsWith("[") && name.endsWith("]")) return true;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.toLowerCase() === "localhost";
}

/** The headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
};

/** `response` with {@linkcode SECURITY_HEADERS} (a copy when its headers cannot be changed). */
export function withNoSniff(response: Response): Response {
  try {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
    return response;
  } catch {
    // Immutable headers (a fetched response passed on): the same body with new headers.
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}

/** `response`'s status and headers, for a HEAD request: its body is dropped unread. */
function withoutBody(response: Response): Response {
  response.body?.cancel().catch(() => {});
  return new Response(null, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** A short text answer. */
export function plain(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/** Whether a basic-auth header carries the password (any user name). */
function authorized(header: string | null, password: string): boolean {
  const match = header?.match(/^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i);
  if (!match) return false;
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(match[1]), (char) => char.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  return passwordsMatch(decoded.slice(colon + 1), password);
}

/**
 * The request with its body read into memory, or `undefined` when the body
 * is over {@linkcode MAX_HTTP_BODY_BYTES} (it stops reading there).
 */
async function readBoundedBody(request: Request): Promise<Request | undefined> {
  if (request.body === null) return request;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_HTTP_BODY_BYTES) {
    await request.body.cancel().catch(() => {});
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_HTTP_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = joinChunks(chunks, size);
  return new Request(request.url, { method: request.method, headers: request.headers, body });
}
