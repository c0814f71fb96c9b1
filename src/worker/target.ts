import type { ClaimedJob } from "../storage/job_store.ts";

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

  constructor(name: string, concurrency: number) {
    this.name = name;
    this.concurrency = concurrency;
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

  /** How many more jobs a claim may add now. */
  get room(): number {
    return Math.max(0, this.concurrency - this.length);
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
