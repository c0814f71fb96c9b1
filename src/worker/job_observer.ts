/**
 * What the job runner tells about each job's life, for those who count
 * (the metrics, src/worker/metrics.ts). An observer's methods return at once
 * and never throw.
 *
 * @module
 */

import type { ClaimedJob } from "../job.ts";
import type { JobEnd } from "./job_end.ts";

/** A listener to the job runner's events. */
export interface JobObserver {
  /** The job's launcher started; `waitedMs`: since the worker queued it (undefined if unknown). */
  jobStarted(job: ClaimedJob, waitedMs: number | undefined): void;
  /**
   * A started job's process ended (before its row is written): how it ended,
   * how long it ran, and the time limit when it was stopped at it.
   */
  jobEnded(job: ClaimedJob, end: JobEnd): void;
  /** A failed job's row went back to `delayed`, to run again at `runAt` (unix seconds). */
  jobRetried(job: ClaimedJob, runAt: number): void;
}
