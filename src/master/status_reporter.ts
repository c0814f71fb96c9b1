/**
 * Gathers the status page's report from the registered workers through the
 * master's own routing (`status` of each worker, `stats`, `jobs` of the
 * failed rows and `job` for their stderr, the merged `schedules`), and runs
 * the page's actions (retry, schedule pause/resume). Every request has a
 * short timeout and each part a deadline, so a slow or dead worker shows as
 * not answering instead of holding the page.
 *
 * @module
 */

import { answerWithin } from "../deadline.ts";
import { type ControlRouter, controlRouter, type ControlRoutingState } from "./control_routing.ts";
import { workerFailure } from "./fan_out.ts";
import { listSchedules, pauseSchedule } from "./schedules.ts";
import {
  assembleReport,
  failedJobsOf,
  FAILURES_SHOWN,
  type StatusReport,
  type StderrTail,
  stderrTailOf,
} from "./status_report.ts";

/** Seconds the report waits for one worker's answer (at most; `request_timeout` when shorter). */
export const STATUS_REQUEST_TIMEOUT = 3;

/** Milliseconds one part of the report may take, a worker passed over for the next included. */
export const STATUS_PART_DEADLINE_MS = 8000;

/** Milliseconds a report is served again before it is gathered anew. */
export const STATUS_CACHE_MS = 2000;

/** A stderr tail kept for a failed row, as long as the row is listed and has not finished again. */
interface KeptTail {
  finished: number;
  tail: StderrTail;
}

/** The report, gathered at most every `STATUS_CACHE_MS`, and the page's actions. */
export class StatusReporter {
  #state: ControlRoutingState;
  #router: ControlRouter;
  #cached: { at: number; report: Promise<StatusReport> } | undefined;
  /** Tails read by `job`, by id: a finished row's stderr only changes when it runs again. */
  #tails = new Map<number, KeptTail>();

  constructor(state: ControlRoutingState) {
    this.#state = state;
    this.#router = controlRouter(state);
  }

  /** Seconds to wait for a worker. */
  get #timeout(): number {
    return Math.min(STATUS_REQUEST_TIMEOUT, this.#state.settings.requestTimeout);
  }

  /** The report: the one being gathered, or gathered less than `STATUS_CACHE_MS` ago, or a new one. */
  report(): Promise<StatusReport> {
    const now = Date.now();
    if (this.#cached === undefined || now - this.#cached.at >= STATUS_CACHE_MS) {
      const report = this.#gather(now);
      this.#cached = { at: now, report };
      // Counted from when it is ready: a slow gathering is not repeated at once.
      report.then(() => {
        if (this.#cached?.report === report) this.#cached.at = Date.now();
      }, () => {});
    }
    return this.#cached.report;
  }

  /** Forgets the cached report (after an action, so the next one shows its effect). */
  invalidate(): void {
    this.#cached = undefined;
  }

  /** `retry` of one job through the master's routing (which pokes its target). */
  async retry(id: number): Promise<unknown> {
    try {
      return await this.#router.retry([id]);
    } finally {
      this.invalidate();
    }
  }

  /** `schedule-pause` (`paused` true) or `schedule-resume` of schedule `name`. */
  async pauseSchedule(name: string, paused: boolean): Promise<void> {
    try {
      await pauseSchedule(this.#state.registry, name, paused, this.#state.settings.requestTimeout);
    } finally {
      this.invalidate();
    }
  }

  async #gather(now: number): Promise<StatusReport> {
    const timeout = this.#timeout;
    const deadline = STATUS_PART_DEADLINE_MS;
    const registered = this.#state.registry.workers;
    const [workers, stats, failures, schedules] = await Promise.all([
      Promise.all(registered.map(async (worker) => ({
        name: worker.name,
        address: worker.connection.peer,
        targets: worker.targets,
        lastHeardAt: worker.connection.lastReceivedAt,
        status: await answerWithin(async () => {
          try {
            return await worker.client.status({ timeout });
          } catch (error) {
            throw new Error(workerFailure(worker, error));
          }
        }, deadline),
      }))),
      answerWithin(() => this.#router.stats(timeout), deadline),
      answerWithin(
        () => this.#router.jobs({ status: "done", result: "fail", limit: FAILURES_SHOWN }, timeout),
        deadline,
      ),
      answerWithin(() => listSchedules(this.#state.registry, timeout), deadline),
    ]);
    const stderr = failures.ok ? await this.#stderrOf(failures.value, timeout) : new Map();
    return assembleReport({ now, workers, stats, failures, stderr, schedules });
  }

  /** The stderr tails of the failed rows: kept ones, and the others read with `job`. */
  async #stderrOf(answer: unknown, timeout: number): Promise<Map<number, StderrTail>> {
    const jobs = failedJobsOf(answer);
    const tails = new Map<number, StderrTail>();
    await Promise.all(jobs.map(async ({ id, finished }) => {
      const kept = this.#tails.get(id);
      if (kept !== undefined && kept.finished === finished) {
        tails.set(id, kept.tail);
        return;
      }
      const read = await answerWithin(() => this.#router.job(id, timeout), STATUS_PART_DEADLINE_MS);
      const tail = read.ok ? stderrTailOf(read.value) : { error: read.error };
      tails.set(id, tail);
      if (read.ok) this.#tails.set(id, { finished, tail });
    }));
    const listed = new Set(jobs.map((job) => job.id));
    for (const id of this.#tails.keys()) if (!listed.has(id)) this.#tails.delete(id);
    return tails;
  }
}
