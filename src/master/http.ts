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
import type { MasterState } from "./handlers.ts";
import { MasterMetrics } from "./metrics.ts";
import { statusRoutes } from "./status_http.ts";
import { StatusReporter } from "./status_reporter.ts";
import { workerAnswers } from "./worker_answers.ts";

/**
 * The master's HTTP routes, over the same state as its request handlers.
 * `/metrics` and the status page read the workers' `stats` and `schedules`
 * answers from one {@linkcode workerAnswers}: asked once for both.
 */
export function masterHttpRoutes(state: MasterState): HttpRoute[] {
  const answers = workerAnswers(state);
  const metrics = new MasterMetrics({ registry: state.registry, answers });
  return [
    healthRoute(() => []),
    metricsRoute(metrics.registry),
    ...statusRoutes(new StatusReporter(state, answers)),
  ];
}
