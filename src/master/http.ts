/**
 * The master's HTTP routes (`http_port`): every endpoint the master serves
 * over HTTP comes from {@linkcode masterHttpRoutes}.
 *
 * - `GET /health`: 200 `ok` while the master serves (it has no database).
 * - `GET /metrics`: src/master/metrics.ts.
 *
 * @module
 */

import { healthRoute } from "../http/health.ts";
import { metricsRoute } from "../http/metrics_route.ts";
import type { HttpRoute } from "../http/server.ts";
import type { Connection } from "../net/connection.ts";
import type { Handler } from "../net/server.ts";
import { ControlRequest } from "../protocol/control_requests.ts";
import { MasterRequest } from "../protocol/requests.ts";
import { masterHandlers, type MasterState } from "./handlers.ts";
import { MasterMetrics, type MasterMetricsSources } from "./metrics.ts";

/**
 * Where the master's metrics read the table's counts and the schedules: the
 * master's own `stats` and `schedules` handlers, so that they are routed as a
 * client's requests are (`stats` to one worker, least busy first; `schedules`
 * merged from every worker).
 */
export function masterMetricsSources(state: MasterState): MasterMetricsSources {
  const handlers = masterHandlers(state);
  // These two handlers read neither the request's data nor its connection.
  const own = (handler: Handler) => () => handler({}, undefined as unknown as Connection);
  return {
    registry: state.registry,
    stats: own(handlers[ControlRequest.Stats]),
    schedules: own(handlers[MasterRequest.Schedules]),
  };
}

/** The master's HTTP routes, over the same state as its request handlers. */
export function masterHttpRoutes(state: MasterState): HttpRoute[] {
  const metrics = new MasterMetrics(masterMetricsSources(state));
  return [healthRoute(() => []), metricsRoute(metrics.registry)];
}
