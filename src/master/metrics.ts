/**
 * The master's metrics (`GET /metrics`): the registered workers, and what
 * the master learns by asking them — the jobs table's counts (one `stats`
 * request for the whole table) and the job board's schedules (the merged
 * `schedules` fan-out), both from the {@linkcode WorkerAnswers} the status
 * page reads too. A scrape takes answers up to {@linkcode TABLE_CACHE_MS}
 * old, so that scrapes from several Prometheus servers, or a short scrape
 * interval, make no more than one query per interval; a scrape that comes
 * while a query is on its way waits for that one.
 *
 * @module
 */

import { MetricsRegistry } from "../metrics/registry.ts";
import { registerBuildInfo, ScheduleGauges } from "../metrics/common_families.ts";
import type { RegisteredWorker } from "./registry.ts";
import {
  readScheduleList,
  readTableCounts,
  type TargetCounts,
  type WorkerAnswers,
} from "./worker_answers.ts";

/** How old the table's counts and the schedules a scrape shows may be, in milliseconds. */
export const TABLE_CACHE_MS = 5_000;

/**
 * Most gone workers `jobd_worker_up` shows (at 0), the longest gone
 * forgotten first; the registered ones are always shown.
 */
export const MAX_REMEMBERED_WORKERS = 1_000;

/** The statuses `stats` counts per target, as `jobd_table_jobs` labels them. */
const COUNTED_STATUSES = ["waiting", "delayed", "manual", "accepted", "running"] as const;

/** What the metrics read of a registered worker. */
export type RegisteredWorkerNames = Pick<RegisteredWorker, "name" | "targets">;

/** Where the master's metrics come from. */
export interface MasterMetricsSources {
  /** The registered workers (the master's WorkerRegistry). */
  registry: { readonly workers: readonly RegisteredWorkerNames[] };
  /** The workers' `stats` and `schedules` answers, shared with the status page. */
  answers: WorkerAnswers;
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
  /** The workers registered at the last scrape. */
  #registered = new Set<string>();
  /** The workers gone since the master started, the longest gone first. */
  readonly #gone = new Set<string>();

  constructor(sources: MasterMetricsSources, cacheMs = TABLE_CACHE_MS) {
    registerBuildInfo(this.registry);
    const { answers } = sources;
    this.registry.collect(() => this.#readWorkers(sources.registry));
    this.registry.collect(async () => {
      const answer = await answers.stats(cacheMs);
      // No counts rather than the last ones shown as if current.
      this.#showCounts(answer.ok ? readTableCounts(answer.value) : undefined);
      if (!answer.ok) throw new Error(`stats: ${answer.error}`);
    });
    this.registry.collect(async () => {
      const answer = await answers.schedules(cacheMs);
      if (!answer.ok) {
        // No times rather than the last ones shown as if current.
        this.#schedules.show([]);
        throw new Error(`schedules: ${answer.error}`);
      }
      this.#schedules.show(
        readScheduleList(answer.value).schedules.map((schedule) => ({
          name: schedule.name,
          target: schedule.target,
          nextRunAt: schedule.nextRunAt ?? undefined,
          lastRunAt: schedule.lastRunAt ?? undefined,
        })),
      );
    });
  }

  #readWorkers(registry: MasterMetricsSources["registry"]): void {
    const workers = registry.workers;
    this.#workersRegistered.set({}, workers.length);
    const names = new Set(workers.map((worker) => worker.name));
    for (const name of this.#registered) {
      if (!names.has(name)) this.#gone.add(name);
    }
    for (const name of names) this.#gone.delete(name);
    for (const name of this.#gone) {
      if (this.#gone.size <= MAX_REMEMBERED_WORKERS) break;
      this.#gone.delete(name);
    }
    this.#registered = names;
    this.#workerUp.reset();
    for (const name of names) this.#workerUp.set({ worker: name }, 1);
    for (const name of this.#gone) this.#workerUp.set({ worker: name }, 0);
    this.#targetWorkers.reset();
    const perTarget = new Map<string, number>();
    for (const worker of workers) {
      for (const target of worker.targets) perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
    }
    for (const [target, workerCount] of perTarget) this.#targetWorkers.set({ target }, workerCount);
  }

  #showCounts(counts: ReadonlyMap<string, TargetCounts> | undefined): void {
    this.#tableUp.set({}, counts === undefined ? 0 : 1);
    this.#tableJobs.reset();
    this.#oldestWaiting.reset();
    this.#doneLastHour.reset();
    this.#retrying.reset();
    this.#timedOutLastHour.reset();
    for (const [target, stats] of counts ?? []) {
      for (const status of COUNTED_STATUSES) {
        const value = stats[status];
        if (value !== null) this.#tableJobs.set({ target, status }, value);
      }
      // 0 only when no row waits: a table without `time_created` gives no age.
      const oldest = stats.waiting === 0 ? 0 : stats.oldestWaitingAge;
      if (oldest !== null) this.#oldestWaiting.set({ target }, oldest);
      if (stats.retrying !== null) this.#retrying.set({ target }, stats.retrying);
      if (stats.timedOutLastHour !== null) {
        this.#timedOutLastHour.set({ target }, stats.timedOutLastHour);
      }
      if (stats.okLastHour !== null) {
        this.#doneLastHour.set({ target, result: "ok" }, stats.okLastHour);
      }
      if (stats.failedLastHour !== null) {
        this.#doneLastHour.set({ target, result: "fail" }, stats.failedLastHour);
      }
    }
  }
}
