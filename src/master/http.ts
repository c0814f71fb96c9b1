/**
 * The master's HTTP routes (`http_port`): every endpoint the master serves
 * over HTTP comes from {@linkcode masterHttpRoutes}.
 *
 * - `GET /health`: 200 `ok` while the master serves (it has no database).
 * - `GET /metrics`: src/master/metrics.ts.
 * - `GET /`, `GET /api/status` and the page's POST actions: the status page
 *   (src/master/status_http.ts).
 *
 * @module
 */

import { healthRoute } from "../http/health.ts";
import { metricsRoute } from "../http/metrics_route.ts";
import type { HttpRoute } from "../http/server.ts";
import { controlRouter } from "./control_routing.ts";
import type { MasterState } from "./handlers.ts";
import { MasterMetrics, type MasterMetricsSources } from "./metrics.ts";
import { listSchedules } from "./schedules.ts";
import { statusRoutes } from "./status_http.ts";
import { StatusReporter } from "./status_reporter.ts";

/**
 * Where the master's metrics read the table's counts and the schedules: the
 * master's own routing, as a client's `stats` and `schedules` are (`stats` to
 * one worker, least busy first; `schedules` merged from every worker).
 */
export function masterMetricsSources(state: MasterState): MasterMetricsSources {
  const router = controlRouter(state);
  return {
    registry: state.registry,
    stats: () => router.stats(),
    schedules: () => listSchedules(state.registry, state.settings.requestTimeout),
  };
}

/** The master's HTTP routes, over the same state as its request handlers. */
export function masterHttpRoutes(state: MasterState): HttpRoute[] {
  const metrics = new MasterMetrics(masterMetricsSources(state));
  return [
    healthRoute(() => []),
    metricsRoute(metrics.registry),
    ...statusRoutes(new StatusReporter(state)),
  ];
}
