/**
 * The master's HTTP routes (`http_port`): every endpoint the master serves
 * over HTTP comes from {@linkcode masterHttpRoutes}.
 *
 * @module
 */

import type { HttpRoute } from "../http/server.ts";
import type { MasterState } from "./handlers.ts";

/** The master's HTTP routes, over the same state as its request handlers. */
export function masterHttpRoutes(_state: MasterState): HttpRoute[] {
  return [
    {
      method: "GET",
      path: "/health",
      handle: () => new Response("ok\n", { headers: { "content-type": "text/plain" } }),
    },
  ];
}
