/**
 * What the job runner tells about each job's life, for those who count
 * (the metrics, src/worker/metrics.ts). An observer's methods return at once
 * and never throw.
 *
 * @module
 */

import type { ClaimedJob, JobOutcome } from "../job.ts";

/** A listener to the job runner's events. */
export interface JobObserver {
  /** The job's launcher started; `waitedMs`: since the worker queued it (undefined if unknown). */
  jobStarted(job: ClaimedJob, waitedMs: number | undefined): void;
  /** A started job's process ended, with how it ended (before its row is written). */
  jobEnded(job: ClaimedJob, outcome: JobOutcome): void;
  /** A failed job's row went back to `delayed`, to run again at `runAt` (unix seconds). */
  jobRetried(job: ClaimedJob, runAt: number): void;
}
