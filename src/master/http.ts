/**
 * The master's HTTP routes (`http_port`): every endpoint the master serves
 * over HTTP comes from {@linkcode masterHttpRoutes}.
 *
 * @module
 */

import type { HttpRoute } from "../http/server.ts";
import type { MasterState } from "./handlers.ts";
import { statusRoutes } from "./status_http.ts";
import { StatusReporter } from "./status_reporter.ts";

/** The master's HTTP routes, over the same state as its request handlers. */
export function masterHttpRoutes(state: MasterState): HttpRoute[] {
  return [
    ...statusRoutes(new StatusReporter(state)),
    {
      method: "GET",
      path: "/health",
      handle: () => new Response("ok\n", { headers: { "content-type": "text/plain" } }),
    },
  ];
}
