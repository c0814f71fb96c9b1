/**
 * Gathers the status page's report from the registered workers through the
 * master's own routing (`status` of each worker, `jobs` of the failed rows
 * and `job` for their stderr; `stats` and the merged `schedules` from the
 * {@linkcode WorkerAnswers} that `/metrics` reads too), and runs the page's
 * actions (retry, schedule pause/resume). Every request has a short timeout
 * and each part a deadline, so a slow or dead worker shows as not answering
 * instead of holding the page.
 *
 * @module
 */

import { answerWithin } from "../deadline.ts";
import { SharedCall } from "../shared_call.ts";
import { type ControlRouter, controlRouter, type ControlRoutingState } from "./control_routing.ts";
import { workerStatus } from "./fan_out.ts";
import { pauseSchedule } from "./schedules.ts";
import {
  assembleReport,
  failedJobsOf,
  FAILURES_SHOWN,
  type StatusReport,
  type StderrTail,
  stderrTailOf,
} from "./status_report.ts";
import { readerLimits, readerTimeout, STATUS_PART_DEADLINE_MS } from "./timeouts.ts";
import type { WorkerAnswers } from "./worker_answers.ts";

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
  #answers: WorkerAnswers;
  #report = new SharedCall(() => this.#gather(), STATUS_CACHE_MS);
  /** Tails read by `job`, by id: a finished row's stderr only changes when it runs again. */
  #tails = new Map<number, KeptTail>();

  /** `answers`: where `stats` and `schedules` are read (shared with `/metrics`). */
  constructor(state: ControlRoutingState, answers: WorkerAnswers) {
    this.#state = state;
    this.#router = controlRouter(state);
    this.#answers = answers;
  }

  /**
   * The report: the one being gathered, or one ready less than
   * `STATUS_CACHE_MS` ago (a slow gathering is not repeated at once), or a new one.
   */
  report(): Promise<StatusReport> {
    return this.#report.get();
  }

  /** Forgets the report and the workers' answers (after an action, so the next shows its effect). */
  invalidate(): void {
    this.#report.forget();
    this.#answers.forget();
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

  async #gather(): Promise<StatusReport> {
    const now = Date.now();
    const timeout = readerTimeout(this.#state.settings);
    const registered = this.#state.registry.workers;
    const [workers, stats, failures, schedules] = await Promise.all([
      Promise.all(registered.map(async (worker) => ({
        name: worker.name,
        address: worker.connection.peer,
        targets: worker.targets,
        lastHeardAt: worker.connection.lastReceivedAt,
        // Its timeout (at most 3 s) ends it before the part's deadline.
        status: await workerStatus(worker, timeout),
      }))),
      // Asked anew (or shared while under way): the report is the page's cache.
      this.#answers.stats(),
      answerWithin(
        () =>
          this.#router.jobs(
            { status: "done", result: "fail", limit: FAILURES_SHOWN },
            readerLimits(this.#state.settings),
          ),
        STATUS_PART_DEADLINE_MS,
      ),
      this.#answers.schedules(),
    ]);
    const stderr = failures.ok ? await this.#stderrOf(failures.value) : new Map();
    return assembleReport({ now, workers, stats, failures, stderr, schedules });
  }

  /** The stderr tails of the failed rows: kept ones, and the others read with `job`. */
  async #stderrOf(answer: unknown): Promise<Map<number, StderrTail>> {
    const limits = readerLimits(this.#state.settings);
    const jobs = failedJobsOf(answer);
    const tails = new Map<number, StderrTail>();
    await Promise.all(jobs.map(async ({ id, finished }) => {
      const kept = this.#tails.get(id);
      if (kept !== undefined && kept.finished === finished) {
        tails.set(id, kept.tail);
        return;
      }
      const read = await answerWithin(() => this.#router.job(id, limits), STATUS_PART_DEADLINE_MS);
      const tail = read.ok ? stderrTailOf(read.value) : { error: read.error };
      tails.set(id, tail);
      if (read.ok) this.#tails.set(id, { finished, tail });
    }));
    const listed = new Set(jobs.map((job) => job.id));
    for (const id of this.#tails.keys()) if (!listed.has(id)) this.#tails.delete(id);
    return tails;
  }
}
