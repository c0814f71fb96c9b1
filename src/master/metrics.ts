/**
 * The master's metrics (`GET /metrics`): the registered workers, and what
 * the master learns by asking them — the jobs table's counts (one `stats`
 * request for the whole table) and the job board's schedules (the merged
 * `schedules` fan-out). Both answers are kept for {@linkcode TABLE_CACHE_MS},
 * so that scrapes from several Prometheus servers, or a short scrape
 * interval, make no more than one query per interval; a scrape that comes
 * while a query is on its way waits for that one.
 *
 * @module
 */

import { MetricsRegistry } from "../metrics/registry.ts";
import { registerBuildInfo, ScheduleGauges } from "../metrics/common_families.ts";
import { isPlainObject } from "../text.ts";
import type { WorkerRegistry } from "./registry.ts";

/** How long the table's counts and the schedules are reused, in milliseconds. */
export const TABLE_CACHE_MS = 5_000;

/** Most worker names remembered for `jobd_worker_up` (a gone worker shows 0). */
const MAX_REMEMBERED_WORKERS = 1_000;

/** The statuses `stats` counts per target, as `jobd_table_jobs` labels them. */
const COUNTED_STATUSES = ["waiting", "delayed", "manual", "accepted", "running"] as const;

/** Where the master's metrics come from. Answers are a peer's data: read with care. */
export interface MasterMetricsSources {
  registry: WorkerRegistry;
  /** The `stats` answer of one worker (routed as the `stats` request is). */
  stats(): Promise<unknown>;
  /** The merged `schedules` answer of every worker. */
  schedules(): Promise<unknown>;
}

/** A value fetched at most once per `ms`, concurrent callers sharing one fetch. */
class Cached<T> {
  readonly #fetch: () => Promise<T>;
  readonly #ms: number;
  #value: { at: number; promise: Promise<T> } | undefined;

  constructor(fetch: () => Promise<T>, ms: number) {
    this.#fetch = fetch;
    this.#ms = ms;
  }

  get(): Promise<T> {
    const now = performance.now();
    if (this.#value === undefined || now - this.#value.at >= this.#ms) {
      this.#value = { at: now, promise: this.#fetch() };
    }
    return this.#value.promise;
  }
}

/** A finite number ≥ 0 from a peer, or undefined. */
function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The master's metric families, read at each scrape. */
export class MasterMetrics {
  readonly registry = new MetricsRegistry();
  readonly #workersRegistered = this.registry.gauge(
    "jobd_workers_registered",
    "Workers registered with the master now",
  );
  readonly #workerUp = this.registry.gauge(
    "jobd_worker_up",
    "1 while the worker is registered, 0 once it is gone (since the master started)",
    ["worker"],
  );
  readonly #targetWorkers = this.registry.gauge(
    "jobd_target_workers",
    "Registered workers serving the target",
    ["target"],
  );
  readonly #tableUp = this.registry.gauge(
    "jobd_table_stats_up",
    "1 when a worker answered the last 'stats' request for the table's counts, else 0",
  );
  readonly #tableJobs = this.registry.gauge(
    "jobd_table_jobs",
    "Rows of the jobs table per target and status (waiting, delayed, manual, accepted, running)",
    ["target", "status"],
  );
  readonly #oldestWaiting = this.registry.gauge(
    "jobd_table_oldest_waiting_seconds",
    "Age of the target's oldest waiting row, seconds (0 when none waits)",
    ["target"],
  );
  readonly #retrying = this.registry.gauge(
    "jobd_table_retrying",
    "Waiting and delayed rows of the target that ran before: failed attempts waiting for a retry",
    ["target"],
  );
  readonly #timedOutLastHour = this.registry.gauge(
    "jobd_table_timed_out_last_hour",
    "Rows of the target that failed at their time limit in the last hour",
    ["target"],
  );
  readonly #doneLastHour = this.registry.gauge(
    "jobd_table_done_last_hour",
    "Rows of the target that became done in the last hour, per result",
    ["target", "result"],
  );
  readonly #schedules = new ScheduleGauges(this.registry);
  readonly #seenWorkers = new Set<string>();

  constructor(sources: MasterMetricsSources, cacheMs = TABLE_CACHE_MS) {
    registerBuildInfo(this.registry);
    const stats = new Cached(() => sources.stats(), cacheMs);
    const schedules = new Cached(() => sources.schedules(), cacheMs);
    this.registry.collect(() => this.#readWorkers(sources.registry));
    this.registry.collect(async () => {
      let answer: unknown;
      try {
        answer = await stats.get();
      } catch (error) {
        // No counts rather than the last ones shown as if current.
        this.#readStats(undefined);
        throw error;
      }
      this.#readStats(answer);
    });
    this.registry.collect(async () => this.#readSchedules(await schedules.get()));
  }

  #readWorkers(registry: WorkerRegistry): void {
    const workers = registry.workers;
    this.#workersRegistered.set({}, workers.length);
    const names = new Set(workers.map((worker) => worker.name));
    for (const name of names) {
      if (this.#seenWorkers.size < MAX_REMEMBERED_WORKERS) this.#seenWorkers.add(name);
    }
    this.#workerUp.reset();
    for (const name of this.#seenWorkers) {
      this.#workerUp.set({ worker: name }, names.has(name) ? 1 : 0);
    }
    this.#targetWorkers.reset();
    const perTarget = new Map<string, number>();
    for (const worker of workers) {
      for (const target of worker.targets) perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
    }
    for (const [target, workerCount] of perTarget) this.#targetWorkers.set({ target }, workerCount);
  }

  #readStats(answer: unknown): void {
    const targets = isPlainObject(answer) && isPlainObject(answer.targets) ? answer.targets : {};
    this.#tableUp.set({}, isPlainObject(answer) && isPlainObject(answer.targets) ? 1 : 0);
    this.#tableJobs.reset();
    this.#oldestWaiting.reset();
    this.#doneLastHour.reset();
    this.#retrying.reset();
    this.#timedOutLastHour.reset();
    for (const [target, stats] of Object.entries(targets)) {
      if (!isPlainObject(stats)) continue;
      for (const status of COUNTED_STATUSES) {
        const value = count(stats[status]);
        if (value !== undefined) this.#tableJobs.set({ target, status }, value);
      }
      this.#oldestWaiting.set({ target }, count(stats.oldestWaitingAge) ?? 0);
      const retrying = count(stats.retrying);
      if (retrying !== undefined) this.#retrying.set({ target }, retrying);
      const timedOut = isPlainObject(stats.timedOut) ? count(stats.timedOut.lastHour) : undefined;
      if (timedOut !== undefined) this.#timedOutLastHour.set({ target }, timedOut);
      const hour = isPlainObject(stats.lastHour) ? stats.lastHour : {};
      for (const result of ["ok", "fail"] as const) {
        const value = count(hour[result]);
        if (value !== undefined) this.#doneLastHour.set({ target, result }, value);
      }
    }
  }

  #readSchedules(answer: unknown): void {
    const list = isPlainObject(answer) && Array.isArray(answer.schedules) ? answer.schedules : [];
    this.#schedules.show(list.flatMap((schedule) => {
      if (!isPlainObject(schedule)) return [];
      const { name, target } = schedule;
      if (typeof name !== "string" || typeof target !== "string") return [];
      return [{
        name,
        target,
        nextRunAt: count(schedule.nextRunAt),
        lastRunAt: count(schedule.lastRunAt),
      }];
    }));
  }
}
