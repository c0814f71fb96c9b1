/**
 * The worker's HTTP routes (`http_port`): every endpoint the worker serves
 * over HTTP comes from {@linkcode workerHttpRoutes}.
 *
 * - `GET /health`: 200 `ok`, or 503 naming what is down: the database (one
 *   cheap read of the jobs table, `JobStore.ping`), the lock on the worker's
 *   name (without it the worker claims and starts nothing) or, for a worker
 *   with `master_host`, its registration with the master (and why it failed),
 *   and that results do not wait to be written for longer than
 *   {@linkcode RESULT_WRITE_STALL_MS} (a database that answers reads but
 *   refuses the writes of results: a full disk, a trigger, privileges).
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
import type { ResultBacklog } from "./result_writer.ts";

/** How long a result may wait to be written before `/health` says so (503). */
export const RESULT_WRITE_STALL_MS = 60_000;

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
  /** The results not yet written (`Worker.resultBacklog`). */
  results?: { backlog(): ResultBacklog | undefined };
}

/**
 * Undefined unless a result has waited to be written for longer than
 * {@linkcode RESULT_WRITE_STALL_MS}; else what `/health` says: how many wait,
 * for how long, and the last error (cut and escaped, healthReason).
 */
function resultWritesProblem(backlog: ResultBacklog | undefined): string | undefined {
  if (backlog === undefined) return undefined;
  const waited = backlog.oldestWaitedMs;
  if (waited <= RESULT_WRITE_STALL_MS) return undefined;
  const why = backlog.lastError === undefined ? "" : `: ${healthReason(backlog.lastError)}`;
  const results = backlog.pending === 1 ? "1 result" : `${backlog.pending} results`;
  return `${results} not written, the oldest (job ${backlog.oldestId}) waiting for ` +
    `${Math.floor(waited / 1000)} s${why}; the rows stay 'running' until the database takes them`;
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
  const results = state.results;
  if (results) {
    checks.push({
      name: "results",
      check: () => resultWritesProblem(results.backlog()),
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
