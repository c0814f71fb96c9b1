/**
 * Running one job, from its queue to its stored row: the running mark
 * (`accepted` -> `running`, batched with the jobs that start with it, and
 * carrying the results that wait for their write: running_marks.ts; none for
 * a job its claim marked `running`: `startMarked`), the launch, the end of
 * its process, and the result write. Holds the running
 * jobs, and signals, kills and waits for them.
 *
 * One job's steps are one method each, in `#run`: `#markRunningOrRelease`,
 * `#launch` (the place for what watches a running job, such as a time
 * limit), `#writeResult` (the place for what decides on an ended job's row,
 * such as a retry). Shutdown: `stopStarting()`, then `stop()` waits for the
 * running jobs, kills them when they take too long and stores every result;
 * `hurry()` stops waiting.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClaimedJob, JobOutcome } from "../job.ts";
import { endsProcess } from "../protocol/signal_names.ts";
import type { JobStore } from "../storage/job_store.ts";
import { messageOf } from "../text.ts";
import type { LaunchedJob, LauncherSettings } from "./launcher.ts";
import type { ManualRuns } from "./manual_runs.ts";
import { RefusedMarks } from "./refused_marks.ts";
import { RunningMarks } from "./running_marks.ts";
import type { Releaser } from "./release.ts";
import { type ResultBacklog, ResultWriter } from "./result_writer.ts";
import { Sleeper } from "./sleeper.ts";
import { startJob } from "./start_retry.ts";
import type { StorageRetry } from "./storage_retry.ts";
import type { Target } from "./target.ts";
import { type JobEnd, jobEndLevel, jobEndLine } from "./job_end.ts";
import { limitRunTime } from "./job_timeout.ts";
import type { TimePolicy } from "./time_policy.ts";
import type { JobObserver } from "./job_observer.ts";
import { unixNow } from "../unix_time.ts";

const log = getLogger(["jobd", "worker"]);

/** After SIGTERM at the end of shutdown, how long jobs get before SIGKILL. */
const KILL_GRACE_MS = 5000;

/**
 * After SIGKILL, how long shutdown waits for jobs whose pipes are still
 * open (a killed launcher's own children may hold them) before it leaves
 * their rows `running` to start-up recovery.
 */
const PIPES_GRACE_MS = 10_000;

/** The signals the shutdown sends running jobs, weakest first. */
const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGKILL"];

/** What the job runner needs from the worker. */
export interface JobRunnerOptions {
  store: JobStore;
  /** The launcher settings for jobs starting now (a reload replaces them). */
  launcher(): LauncherSettings;
  retry: StorageRetry;
  releaser: Releaser;
  /** The run-manual callers, told how their jobs ended. */
  manualRuns: ManualRuns;
  /** A job of the target ended and its slot is free. */
  slotFreed(target: Target): void;
  /** Timeouts and retries per job (time_policy.ts). */
  time: TimePolicy;
  /** A failed job of `target` waits as `delayed` for its retry at `runAt` (unix seconds). */
  delayed(target: string, runAt: number): void;
  /** Told of each job's start, end and retry (the metrics). */
  observer?: JobObserver;
}

interface RunningJob {
  job: ClaimedJob;
  launched?: LaunchedJob;
  /** A signal from `send-signal` that ends a process reached it: an operator stopped it, no retry. */
  signalled?: boolean;
  /** When its launcher started (performance.now()), for the run time of its "ended" line. */
  startedAt?: number;
  /** The time limit in seconds, when the job was stopped for reaching it. */
  timedOutAfter?: number;
  /** The strongest signal the shutdown sent it (`hurry()` and `stop()` both come to SIGTERM). */
  stopSignal?: Deno.Signal;
}

/** Runs claimed jobs and stores their results. */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #results: ResultWriter;
  /** Jobs about to start, marked `running` together when they start together. */
  readonly #runningMarks: RunningMarks;
  readonly #running = new Map<number, RunningJob>();
  /** Jobs whose running mark was refused, released after a backoff. */
  readonly #refused: RefusedMarks;
  #idle = Promise.withResolvers<void>();
  /** False once shutdown began: no job starts any more. */
  #starting = true;
  /** The waits of jobs whose start is tried again (start_retry.ts); ended by shutdown. */
  readonly #startRetries = new Sleeper();
  /** Launched jobs whose process group may still hold something their launcher left behind. */
  readonly #unsettled = new Set<LaunchedJob>();
  /** Resolved by `hurry()`: stop waiting for the running jobs. */
  #hurried = Promise.withResolvers<void>();

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#results = new ResultWriter(options.store, options.retry);
    this.#refused = new RefusedMarks(options.releaser);
    this.#runningMarks = new RunningMarks({
      store: options.store,
      retry: options.retry,
      results: this.#results,
      starting: () => this.#starting,
    });
  }

  /** Jobs started and not yet ended. */
  get running(): number {
    return this.#running.size;
  }

  /** Results not yet stored. */
  get pendingResultWrites(): number {
    return this.#results.pending;
  }

  /** The results not yet stored (undefined when none waits). */
  resultBacklog(): ResultBacklog | undefined {
    return this.#results.backlog();
  }

  /** Ids of the running jobs. */
  ids(): IterableIterator<number> {
    return this.#running.keys();
  }

  /** Ids of the jobs that ended and whose result is not yet stored (rows still `running`). */
  endingIds(): IterableIterator<number> {
    return this.#results.ids();
  }

  /** Ids of the jobs whose running mark was refused, still `accepted` until released. */
  refusedIds(): IterableIterator<number> {
    return this.#refused.ids();
  }

  /** Starts every job of the target that may start now (none once stopped). */
  startReady(target: Target): void {
    if (!this.#starting) return;
    for (let job = target.takeStartable(); job; job = target.takeStartable()) {
      this.#run(target, job);
    }
  }

  /**
   * Starts a job its claim marked `running`, in the slot the claim reserved
   * for it (`Target.reserve`), at once and without a running mark, even on a
   * paused target (as a job whose mark was through before the pause); the
   * background claim's and run-manual's alike. Once shutdown began, it does
   * not start and its row is released from `running`, as for a start that
   * shutdown cut short.
   */
  startMarked(target: Target, job: ClaimedJob): void {
    target.startReserved(job);
    this.#run(target, job);
  }

  /**
   * Starts no more jobs (shutdown): the worker releases those still queued,
   * and a running mark not through yet comes back `stopping`.
   */
  stopStarting(): void {
    this.#starting = false;
    this.#startRetries.wakeAll();
  }

  /** Releases the jobs whose running mark was refused now, not after their backoff (shutdown). */
  releaseRefused(): Promise<void> {
    return this.#refused.stop();
  }

  /**
   * Sends `signal` to job `id`'s process group (send-signal); true when some
   * process of it got it. A job sent a signal that ends a process by default
   * is not retried (an operator stopped it); SIGSTOP, SIGCONT and the other
   * signals that do not end a process leave its retries as they were.
   */
  signal(id: number, signal: Deno.Signal): boolean {
    const running = this.#running.get(id);
    const delivered = running?.launched?.signal(signal) ?? false;
    if (delivered && endsProcess(signal)) running!.signalled = true;
    return delivered;
  }

  /**
   * Waits up to `timeoutSeconds` (or until `hurry()`) for the running jobs,
   * then sends SIGTERM, and SIGKILL after {@linkcode KILL_GRACE_MS}; after
   * {@linkcode PIPES_GRACE_MS} more, leaves the jobs still running to
   * start-up recovery. What ended jobs' launchers left behind, still in its
   * grace after SIGTERM, gets its SIGKILL now. Resolves once every result is
   * stored (or abandoned).
   */
  async stop(timeoutSeconds: number): Promise<void> {
    if (this.#running.size > 0) {
      log.info("Waiting up to {seconds} s for {count} running job(s)", {
        seconds: timeoutSeconds,
        count: this.#running.size,
      });
      const hurried = this.#hurried.promise.then(() => false as const);
      if (!await this.#waitIdle(timeoutSeconds * 1000, hurried)) {
        this.#killAll("SIGTERM");
        if (!await this.#waitIdle(KILL_GRACE_MS)) this.#killAll("SIGKILL");
        if (!await this.#waitIdle(PIPES_GRACE_MS)) {
          log.error("Jobs {ids} did not end after SIGKILL; leaving them to recovery", {
            ids: [...this.#running.keys()].join(", "),
          });
        }
      }
    }
    // What ended launchers left behind would get SIGKILL after a grace that
    // may outlast the worker: now.
    for (const launched of this.#unsettled) launched.killLeftovers();
    await this.#results.flush();
  }

  /**
   * Stops waiting: running jobs get SIGTERM now unless the shutdown sent
   * them SIGTERM or SIGKILL already (SIGKILL after the grace period, when
   * `stop()` runs). (Result writes stop being retried with the
   * worker's `StorageRetry.abandon()`.)
   */
  hurry(): void {
    this.#hurried.resolve();
    this.#killAll("SIGTERM");
  }

  /**
   * Sends `signal` to every running job that the shutdown has sent only a
   * weaker one, or none: a second shutdown signal after the SIGKILL sends no
   * SIGTERM.
   */
  #killAll(signal: "SIGTERM" | "SIGKILL"): void {
    for (const running of this.#running.values()) {
      const sent = running.stopSignal;
      if (sent !== undefined && STOP_SIGNALS.indexOf(sent) >= STOP_SIGNALS.indexOf(signal)) {
        continue;
      }
      if (running.launched?.signal(signal)) {
        running.stopSignal = signal;
        log.warn("Sent {signal} to job {id}", { signal, id: running.job.id });
      }
    }
  }

  /** Whether no job runs any more within `ms` (false as soon as `cutShort` resolves). */
  async #waitIdle(ms: number, cutShort?: Promise<false>): Promise<boolean> {
    if (this.#running.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      if (ms !== Infinity) timer = setTimeout(() => resolve(false), ms);
    });
    const idle = await Promise.race([
      this.#idle.promise.then(() => true),
      timeout,
      ...cutShort ? [cutShort] : [],
    ]);
    clearTimeout(timer);
    return idle;
  }

  /**
   * One job: running mark (none when its claim marked it) -> launch -> end of
   * its process -> result write.
   */
  async #run(target: Target, job: ClaimedJob): Promise<void> {
    if (this.#running.has(job.id)) {
      // Never two copies of one job: the one that runs owns the row.
      log.error("Job {id} is already running here; not starting it again", { id: job.id });
      target.finishOne();
      return;
    }
    const running: RunningJob = { job };
    this.#running.set(job.id, running);
    try {
      if (job.running) this.#refused.marked(job.id);
      else if (!await this.#markRunningOrRelease(job)) return;
      const outcome = await this.#launch(target, running);
      if (outcome === undefined) return;
      const end: JobEnd = {
        id: job.id,
        target: job.target,
        outcome,
        ms: performance.now() - (running.startedAt ?? performance.now()),
        timedOutAfter: running.timedOutAfter,
      };
      this.#options.observer?.jobEnded(job, end);
      // The result is queued before the slot frees: the running mark of the
      // job that takes the slot stores it in the same commit.
      const written = this.#writeResult(running, end);
      this.#finish(target, job);
      await written;
    } catch (error) {
      // Nothing should get here (a refused mark releases the job, a result
      // write that fails is logged); if something does, the job is not lost:
      // its row stays as it is for start-up recovery.
      log.error("Job {id} could not be run: {error}", { id: job.id, error: messageOf(error) });
      this.#options.manualRuns.answer(job.id, {
        error: `job ${job.id} could not be run: ${error}`,
      });
    } finally {
      this.#finish(target, job);
    }
  }

  /**
   * Marks the job `running` (with the jobs starting with it); false when it
   * must not start: its row changed under us, or shutdown began (the job is
   * then released).
   */
  async #markRunningOrRelease(job: ClaimedJob): Promise<boolean> {
    const { manualRuns } = this.#options;
    const mark = await this.#runningMarks.add(job);
    if (mark === "stopping") {
      log.info("Job {id} not started: the worker is shutting down", { id: job.id });
      manualRuns.answer(job.id, { error: "the worker is shutting down" });
      await this.#options.releaser.releaseOrLeave([job]);
      return false;
    }
    if (mark === "untouched") {
      log.warn("Job {id} not started: its row is no longer 'accepted'", { id: job.id });
      manualRuns.answer(job.id, { error: `job ${job.id} changed status before it could start` });
      return false;
    }
    if (mark !== "marked") {
      manualRuns.answer(job.id, {
        error: `job ${job.id} could not be marked running: ${messageOf(mark.refused)}`,
      });
      // Its slot stays taken until its row is released (a shutdown releases
      // it at once): claims for the slot wait with it, so marks refused
      // again and again cannot pull the whole backlog into this worker.
      await this.#refused.hold(job, mark.refused);
      return false;
    }
    this.#refused.marked(job.id);
    return true;
  }

  /**
   * Starts the job's launcher, again while its start fails for a reason that
   * may pass (start_retry.ts); resolves to how the job ended, or to undefined
   * when shutdown began before it could start (the job is then released
   * from `running`, the attempt its mark counted given back). Never rejects.
   */
  async #launch(target: Target, running: RunningJob): Promise<JobOutcome | undefined> {
    const { job } = running;
    const launched = await startJob(job.id, {
      settings: () => this.#options.launcher(),
      sleep: (ms) => this.#startRetries.sleep(ms),
      givenUp: () => !this.#starting,
      attempted: (attempt) => running.launched = attempt,
    });
    if (launched === undefined) {
      log.info("Job {id} not started: the worker is shutting down", { id: job.id });
      this.#options.manualRuns.answer(job.id, { error: "the worker is shutting down" });
      await this.#options.releaser.releaseOrLeave([job], "marked");
      return undefined;
    }
    log.info("Job {id} of {target} started (pid {pid})", {
      id: job.id,
      target: target.name,
      pid: launched.pid ?? "none",
    });
    this.#options.observer?.jobStarted(job, target.queuedFor(job));
    running.startedAt = performance.now();
    this.#unsettled.add(launched);
    launched.settled.then(() => this.#unsettled.delete(launched));
    return limitRunTime(job.id, launched, this.#options.time.limitOf(job), (seconds) => {
      running.timedOutAfter = seconds;
    });
  }

  /** Writes the ended job's row and answers its run-manual caller, if any. */
  async #writeResult(running: RunningJob, end: JobEnd): Promise<void> {
    const { job } = running;
    const { outcome } = end;
    const { manualRuns, time } = this.#options;
    if (log.isEnabledFor(jobEndLevel(outcome))) {
      const ended = jobEndLine(end);
      log[ended.level](ended.message, ended.properties);
    }
    // A run-manual caller waits for this row: write it without gathering others.
    const urgent = manualRuns.isAwaited(job.id);
    // A failed background job with attempts left goes back to 'delayed' instead of 'done'.
    const { retryAt } = time.decide(job, outcome, {
      manual: urgent || job.origin === "manual",
      signalled: running.signalled === true,
      nowSeconds: unixNow(),
    });
    const finished = { id: job.id, outcome, finishedAt: unixNow(), retryAt };
    const written = await this.#results.write(finished, urgent);
    if (retryAt !== undefined && written === "stored") {
      log.info("Job {id} will be retried at {time} (in {seconds} s)", {
        id: job.id,
        time: new Date(retryAt * 1000).toISOString(),
        seconds: Math.max(0, retryAt - finished.finishedAt),
      });
      this.#options.delayed(job.target, retryAt);
      this.#options.observer?.jobRetried(job, retryAt);
    }
    manualRuns.answer(
      job.id,
      written === "stored"
        ? outcome
        : written === "untouched"
        ? { error: `job ${job.id} changed status while it ran` }
        : { error: `job ${job.id} ended (${outcome.result}) but its result could not be stored` },
    );
  }

  /** Frees the job's slot once (and only once), starting what may start next. */
  #finish(target: Target, job: ClaimedJob): void {
    if (this.#running.get(job.id)?.job !== job) return;
    this.#running.delete(job.id);
    target.finishOne();
    if (this.#running.size === 0) {
      this.#idle.resolve();
      this.#idle = Promise.withResolvers();
    }
    this.#options.slotFreed(target);
  }
}
