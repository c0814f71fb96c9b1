/**
 * The status page's HTTP routes on the master: `GET /` (the page),
 * `GET /api/status` (its report as JSON) and the page's actions,
 * `POST /api/retry`, `/api/schedule-pause` and `/api/schedule-resume`.
 * The server in front asks for the password; the actions also take only a
 * JSON body from the page's own origin, which a form on another site cannot
 * send (a form posts no JSON, and a cross-site `fetch` of JSON needs a CORS
 * preflight that nothing here answers).
 *
 * @module
 */

import type { HttpRoute } from "../http/server.ts";
import { RequestError } from "../net/errors.ts";
import { readJobId, readScheduleName } from "../protocol/validate.ts";
import { isPlainObject, messageOf } from "../text.ts";
import { STATUS_PAGE_HTML, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE } from "./status_page.ts";
import type { StatusReporter } from "./status_reporter.ts";

function json(status: number, value: unknown): Response {
  return new Response(`${JSON.stringify(value)}\n`, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

let policy: Promise<string> | undefined;

/** The page's Content-Security-Policy: its own script and styles, requests to itself only. */
function contentSecurityPolicy(): Promise<string> {
  policy ??= Promise.all([sha256(STATUS_PAGE_SCRIPT), sha256(STATUS_PAGE_STYLE)]).then((
    [script, style],
  ) =>
    [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      "connect-src 'self'",
      "img-src data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; ")
  );
  return policy;
}

/**
 * Whether `origin` names the host the request was sent to: its `Host`, or the
 * `X-Forwarded-Host` a reverse proxy sets (the scheme is not compared: a proxy
 * may end TLS in front of the master).
 */
function isOwnOrigin(origin: string, request: Request): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0].trim();
  return host === new URL(request.url).host || (forwarded !== undefined && host === forwarded);
}

/**
 * The JSON object of an action's body, or the reason it is refused: not
 * JSON, or sent from another origin.
 */
async function actionBody(request: Request): Promise<Record<string, unknown> | Response> {
  const type = request.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    return json(415, { error: "the body must be JSON (content-type: application/json)" });
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !isOwnOrigin(origin, request)) {
    return json(403, { error: `requests from ${origin} are not accepted` });
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch (error) {
    return json(400, { error: `the body is not JSON: ${messageOf(error)}` });
  }
  if (!isPlainObject(body)) return json(400, { error: "the body must be a JSON object" });
  return body;
}

/**
 * An action: the body read by `read`, then `act` on it. A bad body is 400;
 * a refusal (no worker, unknown schedule, a worker's error) is 409 with its
 * text.
 */
function action<T>(
  path: string,
  read: (body: Record<string, unknown>) => T,
  act: (value: T) => Promise<unknown>,
): HttpRoute {
  return {
    method: "POST",
    path,
    forBrowsers: true,
    handle: async (request) => {
      const body = await actionBody(request);
      if (body instanceof Response) return body;
      let value: T;
      try {
        value = read(body);
      } catch (error) {
        if (error instanceof RequestError) return json(400, { error: error.message });
        throw error;
      }
      try {
        return json(200, await act(value));
      } catch (error) {
        if (error instanceof RequestError) return json(409, { error: error.message });
        throw error;
      }
    },
  };
}

/** The status page's routes over `reporter`. */
export function statusRoutes(reporter: StatusReporter): HttpRoute[] {
  return [
    {
      method: "GET",
      path: "/",
      forBrowsers: true,
      handle: async () =>
        new Response(STATUS_PAGE_HTML, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            "content-security-policy": await contentSecurityPolicy(),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
          },
        }),
    },
    {
      method: "GET",
      path: "/api/status",
      forBrowsers: true,
      handle: async () => json(200, await reporter.report()),
    },
    action("/api/retry", readJobId, (id) => reporter.retry(id)),
    action("/api/schedule-pause", readScheduleName, async (name) => {
      await reporter.pauseSchedule(name, true);
      return { paused: name };
    }),
    action("/api/schedule-resume", readScheduleName, async (name) => {
      await reporter.pauseSchedule(name, false);
      return { resumed: name };
    }),
  ];
}
