/**
 * The worker's HTTP routes (`http_port`): every endpoint the worker serves
 * over HTTP comes from {@linkcode workerHttpRoutes}.
 *
 * - `GET /health`: 200 `ok`, or 503 naming what is down: the database (one
 *   cheap read of the jobs table, `JobStore.ping`), the lock on the worker's
 *   name (without it the worker claims and starts nothing) or, for a worker
 *   with `master_host`, its registration with the master (and why it failed).
 * - `GET /metrics`: src/worker/metrics.ts.
 *
 * @module
 */

import {
  type HealthCheck,
  healthReason,
  healthRoute,
  runHealthCheck,
  sharedCheck,
} from "../http/health.ts";
import { metricsRoute } from "../http/metrics_route.ts";
import type { HttpRoute } from "../http/server.ts";
import type { JobStore } from "../storage/job_store.ts";
import { messageOf } from "../text.ts";
import type { WorkerMetrics } from "./metrics.ts";

/** What the worker's HTTP routes read. */
export interface WorkerHttpState {
  /** The store whose database `/health` checks. */
  store: JobStore;
  metrics: WorkerMetrics;
  /**
   * The master link, for a worker with `master_host`: whether it is
   * registered now, the master's `host:port` for the message, and why the
   * last registration failed, when known.
   */
  master?: { registered(): boolean; readonly address: string; lastError?(): string | undefined };
  /**
   * The lock on the worker's name: whether it is held now, and why it was
   * lost when it is not.
   */
  nameLock?: { readonly name: string; readonly held: boolean; lostReason?(): string | undefined };
}

const databaseChecks = new WeakMap<JobStore, HealthCheck>();

/**
 * The check of the database: one cheap read of the jobs table, one at a
 * time for a store (`/health` and the metrics' `jobd_database_up` share it).
 * Its reason is the driver's error text, cut and escaped (healthReason).
 */
function databaseCheck(store: JobStore): HealthCheck {
  let check = databaseChecks.get(store);
  if (check === undefined) {
    check = sharedCheck({
      name: "database",
      check: async () => {
        try {
          await store.ping();
        } catch (error) {
          return healthReason(messageOf(error));
        }
        return undefined;
      },
    });
    databaseChecks.set(store, check);
  }
  return check;
}

/** Undefined while the database answers, else what is wrong (shared by `/health` and the metrics). */
export function databaseProblem(store: JobStore): Promise<string | undefined> {
  return runHealthCheck(databaseCheck(store));
}

/** The worker's HTTP routes. */
export function workerHttpRoutes(state: WorkerHttpState): HttpRoute[] {
  const checks: HealthCheck[] = [databaseCheck(state.store)];
  const lock = state.nameLock;
  if (lock) {
    checks.push({
      name: "name lock",
      check: () => {
        if (lock.held) return undefined;
        const why = lock.lostReason?.();
        const reason = why ? ` (${healthReason(why)})` : "";
        return `lost the lock on the worker name ${lock.name}${reason}: ` +
          "claiming and starting no job until it is held again";
      },
    });
  }
  const master = state.master;
  if (master) {
    checks.push({
      name: "master",
      check: () => {
        if (master.registered()) return undefined;
        const why = master.lastError?.();
        return `not registered with the master at ${master.address}${why ? `: ${why}` : ""}`;
      },
    });
  }
  return [healthRoute(() => checks), metricsRoute(state.metrics.registry)];
}
