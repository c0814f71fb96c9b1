/**
 * The worker's HTTP routes (`http_port`): every endpoint the worker serves
 * over HTTP comes from {@linkcode workerHttpRoutes}.
 *
 * @module
 */

import type { HttpRoute } from "../http/server.ts";
import type { JobStore } from "../storage/job_store.ts";
import type { Worker } from "./worker.ts";

/** What the worker's HTTP routes read. */
export interface WorkerHttpState {
  worker: Worker;
  store: JobStore;
}

/** The worker's HTTP routes. */
export function workerHttpRoutes(_state: WorkerHttpState): HttpRoute[] {
  return [
    {
      method: "GET",
      path: "/health",
      handle: () => new Response("ok\n", { headers: { "content-type": "text/plain" } }),
    },
  ];
}
