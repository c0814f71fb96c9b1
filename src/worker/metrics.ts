/**
 * The worker's metrics (`GET /metrics`): counters and histograms fed by the
 * job runner (as its {@linkcode JobObserver}), gauges read from the worker,
 * the store, the master link and the job board at each scrape.
 *
 * @module
 */

import { answerWithin } from "../deadline.ts";
import { HEALTH_CHECK_TIMEOUT_MS } from "../http/health.ts";
import type { ClaimedJob } from "../job.ts";
import { type Collector, MetricsRegistry } from "../metrics/registry.ts";
import { registerBuildInfo, ScheduleGauges } from "../metrics/common_families.ts";
import type { ScheduleInfo } from "../protocol/requests.ts";
import type { JobObserver } from "./job_observer.ts";
import type { JobEnd } from "./job_end.ts";
import type { Worker } from "./worker.ts";

/**
 * How long a scrape waits for the job board's read, as for the database's
 * check: a database that hangs must not hold the scrape past Prometheus's
 * scrape timeout (10 s by default), which would lose every series, among
 * them `jobd_database_up 0`.
 */
export const SCHEDULES_READ_TIMEOUT_MS = HEALTH_CHECK_TIMEOUT_MS;

/** What the gauges are read from, at each scrape. */
export interface WorkerMetricsSources {
  worker: Worker;
  /** Undefined when the database answers, else what is wrong (shared with `/health`). */
  databaseProblem(): Promise<string | undefined>;
  /** Whether the worker holds the lock on its name (it claims and starts jobs only then). */
  nameLockHeld?: () => boolean;
  /** The database's clock minus the host's, seconds (MySQL; undefined before the first reading). */
  databaseClockOffset?: () => number | undefined;
  /** Whether the worker is registered with its master; absent for a worker without one. */
  masterRegistered?: () => boolean;
  /** The job board's schedules; absent (or undefined) without a board. */
  schedules?: () => Promise<readonly ScheduleInfo[]> | undefined;
}

/** The worker's metric families and the observer that counts jobs into them. */
export class WorkerMetrics implements JobObserver {
  readonly registry = new MetricsRegistry();
  readonly #started = this.registry.counter(
    "jobd_jobs_started_total",
    "Jobs whose launcher started, per target",
    ["target"],
  );
  readonly #finished = this.registry.counter(
    "jobd_jobs_finished_total",
    "Jobs that ended, per target and result (ok, fail)",
    ["target", "result"],
  );
  readonly #duration = this.registry.histogram(
    "jobd_job_duration_seconds",
    "Run time of jobs that ended, from the launcher's start to its end, per target",
    ["target"],
  );
  readonly #wait = this.registry.histogram(
    "jobd_job_wait_seconds",
    "Time jobs waited in this worker between their claim and their start, per target",
    ["target"],
  );
  readonly #retries = this.registry.counter(
    "jobd_job_retries_total",
    "Failed jobs put back to 'delayed' for another attempt, per target",
    ["target"],
  );
  readonly #timeouts = this.registry.counter(
    "jobd_job_timeouts_total",
    "Jobs stopped at their time limit, per target",
    ["target"],
  );
  readonly #running = this.registry.gauge(
    "jobd_jobs_running",
    "Jobs running now, per target",
    ["target"],
  );
  readonly #queued = this.registry.gauge(
    "jobd_jobs_queued",
    "Jobs claimed by this worker and waiting for a free slot, per target",
    ["target"],
  );
  readonly #concurrency = this.registry.gauge(
    "jobd_target_concurrency",
    "Most jobs of the target that run at once",
    ["target"],
  );
  readonly #paused = this.registry.gauge(
    "jobd_target_paused",
    "1 while the target is paused, else 0",
    ["target"],
  );
  readonly #pendingWrites = this.registry.gauge(
    "jobd_result_writes_pending",
    "Ended jobs whose row is not written yet (the database is slow or away)",
  );
  readonly #databaseUp = this.registry.gauge(
    "jobd_database_up",
    "1 when the jobs table answered a read at this scrape, else 0",
  );
  readonly #nameLockHeld = this.registry.gauge(
    "jobd_name_lock_held",
    "1 while the worker holds the lock on its name (it claims and starts jobs only then), else 0",
  );
  readonly #clockOffset = this.registry.gauge(
    "jobd_database_clock_offset_seconds",
    "The database's clock minus this host's (MySQL): deferred jobs start that much late (early if negative)",
  );
  readonly #masterConnected = this.registry.gauge(
    "jobd_master_connected",
    "1 while the worker is registered with its master, else 0 (only with master_host)",
  );
  readonly #schedules = new ScheduleGauges(this.registry);

  constructor() {
    registerBuildInfo(this.registry);
  }

  /** Reads the gauges from `sources` at each scrape. */
  watch(sources: WorkerMetricsSources, schedulesTimeoutMs = SCHEDULES_READ_TIMEOUT_MS): void {
    const collectors: Collector[] = [
      () => this.#readTargets(sources.worker),
      async () => {
        this.#databaseUp.set({}, await sources.databaseProblem() === undefined ? 1 : 0);
      },
    ];
    if (sources.nameLockHeld) {
      const held = sources.nameLockHeld;
      collectors.push(() => this.#nameLockHeld.set({}, held() ? 1 : 0));
    }
    if (sources.databaseClockOffset) {
      const offset = sources.databaseClockOffset;
      collectors.push(() => {
        const seconds = offset();
        this.#clockOffset.reset();
        if (seconds !== undefined) this.#clockOffset.set({}, seconds);
      });
    }
    if (sources.masterRegistered) {
      const registered = sources.masterRegistered;
      collectors.push(() => this.#masterConnected.set({}, registered() ? 1 : 0));
    }
    if (sources.schedules) {
      const schedules = sources.schedules;
      collectors.push(async () => {
        const answer = await answerWithin(async () => await schedules() ?? [], schedulesTimeoutMs);
        // No times rather than the last ones shown as if current (the database is away).
        this.#readSchedules(answer.ok ? answer.value : []);
        if (!answer.ok) throw new Error(`Cannot read the job board's schedules: ${answer.error}`);
      });
    }
    for (const collector of collectors) this.registry.collect(collector);
  }

  jobStarted(job: ClaimedJob, waitedMs: number | undefined): void {
    this.#started.inc({ target: job.target });
    if (waitedMs !== undefined) this.#wait.observe({ target: job.target }, waitedMs / 1000);
  }

  jobEnded(job: ClaimedJob, end: JobEnd): void {
    const target = job.target;
    this.#finished.inc({ target, result: end.outcome.result });
    this.#duration.observe({ target }, end.ms / 1000);
    if (end.timedOutAfter !== undefined) this.#timeouts.inc({ target });
  }

  jobRetried(job: ClaimedJob): void {
    this.#retries.inc({ target: job.target });
  }

  #readTargets(worker: Worker): void {
    for (const gauge of [this.#running, this.#queued, this.#concurrency, this.#paused]) {
      gauge.reset();
    }
    for (const target of worker.targets.values()) {
      const labels = { target: target.name };
      this.#running.set(labels, target.running);
      this.#queued.set(labels, target.queued);
      this.#concurrency.set(labels, target.concurrency);
      this.#paused.set(labels, target.paused ? 1 : 0);
      // Every served target shows its counters from the first scrape, at 0.
      this.#started.touch(labels);
      this.#finished.touch({ ...labels, result: "ok" });
      this.#finished.touch({ ...labels, result: "fail" });
      this.#retries.touch(labels);
      this.#timeouts.touch(labels);
      this.#duration.touch(labels);
      this.#wait.touch(labels);
    }
    this.#pendingWrites.set({}, worker.status().pendingResultWrites ?? 0);
  }

  #readSchedules(schedules: readonly ScheduleInfo[]): void {
    this.#schedules.show(schedules.map((schedule) => ({
      name: schedule.name,
      target: schedule.target,
      nextRunAt: schedule.nextRunAt ?? undefined,
      lastRunAt: schedule.lastRunAt ?? undefined,
    })));
  }
}
