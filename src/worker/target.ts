import type { ClaimedJob } from "../storage/job_store.ts";

/**
 * How far ahead of its free slots a target claims background jobs: as many
 * as its slots are expected to start within this many milliseconds, judged
 * by how long its recent background jobs ran. Jobs that end in a few
 * milliseconds are then claimed many at a time, and a freed slot starts the
 * next one without waiting for the database; a target whose jobs run for
 * seconds claims only for its free slots, so no job waits here for long while
 * another worker could run it.
 */
export const CLAIM_AHEAD_MS = 100;

/** Weight of the newest run time in a target's running average. */
const RUN_TIME_WEIGHT = 0.125;

/**
 * One queue the worker serves: its concurrency limit, whether it is paused,
 * the claimed jobs waiting for a slot and the jobs running. Background jobs
 * wait while the target is paused; manual jobs (an explicit request) do not,
 * and go before background jobs.
 */
export class Target {
  readonly name: string;
  concurrency: number;
  paused = false;
  /** A poll arrived that could not be served in full yet. */
  pollPending = false;
  readonly #manual: ClaimedJob[] = [];
  readonly #background: ClaimedJob[] = [];
  #running = 0;
  /** Running average of how long background jobs ran, in ms; undefined before the first. */
  #runTimeMs: number | undefined;
  /** Most background jobs claimed ahead of free slots (the worker's `mysql_fetch_limit`). */
  maxAhead: number;

  constructor(name: string, concurrency: number, maxAhead = 0) {
    this.name = name;
    this.concurrency = concurrency;
    this.maxAhead = maxAhead;
  }

  /** Jobs claimed and waiting for a slot. */
  get queued(): number {
    return this.#manual.length + this.#background.length;
  }

  /** Jobs started and not yet ended. */
  get running(): number {
    return this.#running;
  }

  /** Running plus queued jobs (`length` in `status`). */
  get length(): number {
    return this.#running + this.queued;
  }

  /**
   * How many background jobs are claimed ahead of free slots: those the
   * slots are expected to start within {@linkcode CLAIM_AHEAD_MS}; none
   * while paused or before a job has ended.
   */
  get ahead(): number {
    if (this.paused || this.#runTimeMs === undefined) return 0;
    const expected = Math.floor(this.concurrency * CLAIM_AHEAD_MS / Math.max(this.#runTimeMs, 1));
    return Math.min(this.maxAhead, expected);
  }

  /**
   * How many more jobs a claim may add now: up to the free slots plus
   * {@linkcode ahead}. While more than half of those claimed ahead still
   * wait, none, so that claims are fewer and larger.
   */
  get room(): number {
    const ahead = this.ahead;
    if (ahead > 0 && this.queued > ahead / 2) return 0;
    return Math.max(0, this.concurrency + ahead - this.length);
  }

  /** Counts how long a background job ran (launch to end) into {@linkcode ahead}. */
  recordRunTime(ms: number): void {
    this.#runTimeMs = this.#runTimeMs === undefined
      ? ms
      : this.#runTimeMs + (ms - this.#runTimeMs) * RUN_TIME_WEIGHT;
  }

  /** Queues a claimed job. */
  enqueue(job: ClaimedJob): void {
    (job.origin === "manual" ? this.#manual : this.#background).push(job);
  }

  /** Takes the next job that may start now and counts it as running, if any. */
  takeStartable(): ClaimedJob | undefined {
    if (this.#running >= this.concurrency) return undefined;
    const job = this.#manual.shift() ?? (this.paused ? undefined : this.#background.shift());
    if (job) this.#running++;
    return job;
  }

  /** Counts a running job as ended. */
  finishOne(): void {
    this.#running--;
  }

  /** Ids of the queued jobs. */
  queuedIds(): number[] {
    return [...this.#manual, ...this.#background].map((job) => job.id);
  }

  /** Empties the queue, returning the jobs that never started. */
  drainQueued(): ClaimedJob[] {
    return [...this.#manual.splice(0), ...this.#background.splice(0)];
  }
}
