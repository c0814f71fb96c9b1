/**
 * `GET /metrics` of both daemons: the registry's families in the
 * Prometheus text format.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { messageOf } from "../text.ts";
import type { HttpRoute } from "./server.ts";

const log = getLogger(["jobd", "http"]);

/** The `/metrics` route of a registry. A collector that fails is logged at debug level. */
export function metricsRoute(registry: MetricsRegistry): HttpRoute {
  return {
    method: "GET",
    path: "/metrics",
    handle: async () => {
      const text = await registry.expose((error) => {
        log.debug("A metrics collector failed: {error}", { error: messageOf(error) });
      });
      return new Response(text, {
        headers: { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" },
      });
    },
  };
}
