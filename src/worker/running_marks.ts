/**
 * The running marks of jobs about to start (`accepted` -> `running`):
 * batched with the jobs that start with them, carrying the results that wait
 * for their write, retried while the database is away, and each job marked
 * alone when the database refuses a batch.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClaimedJob } from "../job.ts";
import type { JobStore } from "../storage/job_store.ts";
import { isTransientStorageError } from "../storage/errors.ts";
import { describeJobs, messageOf } from "../text.ts";
import { Batcher } from "./batcher.ts";
import type { ResultWriter } from "./result_writer.ts";
import type { StorageRetry } from "./storage_retry.ts";
import { unixNow } from "../unix_time.ts";

const log = getLogger(["jobd", "worker"]);

/** Most jobs marked `running` by one store call. */
const MAX_RUNNING_BATCH = 500;

/**
 * What became of a job's running mark: `marked` (its row is `running`, the
 * job starts), `untouched` (its row was no longer `accepted`: changed under
 * us, the job does not start), `stopping` (shutdown began before the mark
 * got through: the job is released instead of started), or an error the
 * database gave that a retry cannot fix (the job is released after a
 * backoff: refused_marks.ts).
 */
export type RunningMark = "marked" | "untouched" | "stopping" | { refused: unknown };

/** What the running marks need from the job runner. */
export interface RunningMarksOptions {
  store: JobStore;
  retry: StorageRetry;
  /** The results waiting for their write, which a mark takes along. */
  results: ResultWriter;
  /** False once shutdown began: marks still queued then are not sent. */
  starting(): boolean;
}

/** The marks of `ids` when the store left `untouched` alone. */
function marksOf(ids: readonly number[], untouched: readonly number[]): RunningMark[] {
  if (untouched.length === 0) return ids.map(() => "marked");
  const refused = new Set(untouched);
  return ids.map((id) => refused.has(id) ? "untouched" : "marked");
}

/** The running marks of the jobs about to start, sent together when they start together. */
export class RunningMarks {
  readonly #options: RunningMarksOptions;
  readonly #batch = new Batcher((jobs: ClaimedJob[]) => this.#markJobs(jobs), MAX_RUNNING_BATCH);

  constructor(options: RunningMarksOptions) {
    this.#options = options;
  }

  /** Marks `job` running, with the others starting now; a marked job gets its `startedAt`. */
  add(job: ClaimedJob): Promise<RunningMark> {
    return this.#batch.add(job);
  }

  /** `#mark` of the jobs' ids; each job marked gets the `time_started` written. */
  async #markJobs(jobs: ClaimedJob[]): Promise<RunningMark[]> {
    // The same `time_started` on every attempt: by it the store recognises
    // rows an attempt marked before its reply was lost. After an outage it
    // is when the start was first tried.
    const startedAt = unixNow();
    const marks = await this.#mark(jobs.map((job) => job.id), startedAt);
    marks.forEach((mark, index) => {
      if (mark === "marked") jobs[index].startedAt = startedAt;
    });
    return marks;
  }

  /**
   * Marks the jobs of one batch running, in one store call retried while the
   * database is away (see {@linkcode RunningMark}). When the database
   * refuses the batch for another reason, each job is marked alone: one
   * row that cannot be marked does not stop the others.
   */
  async #mark(ids: number[], startedAt: number): Promise<RunningMark[]> {
    const withResults = await this.#markWithResults(ids, startedAt);
    if (withResults !== undefined) return withResults;
    try {
      return await this.#markRunningTogether(ids, startedAt);
    } catch (error) {
      if (ids.length === 1 || this.#options.retry.abandoned) {
        return ids.map(() => ({ refused: error }));
      }
      log.error("Cannot mark {jobs} running together, marking each alone: {error}", {
        jobs: describeJobs(ids),
        error: messageOf(error),
      });
    }
    const marks: RunningMark[] = [];
    for (const id of ids) {
      try {
        marks.push(...await this.#markRunningTogether([id], startedAt));
      } catch (error) {
        marks.push({ refused: error });
      }
    }
    return marks;
  }

  /** Marks `ids` running in one store call, retried while the database is away. */
  async #markRunningTogether(ids: number[], startedAt: number): Promise<RunningMark[]> {
    const untouched = await this.#options.retry.run(`mark ${describeJobs(ids)} running`, () => {
      // A batch queued behind a retried one may come after shutdown began.
      if (!this.#options.starting()) return Promise.resolve(undefined);
      return this.#options.store.markRunning(ids, startedAt);
    });
    if (untouched === undefined) return ids.map(() => "stopping");
    // A row an attempt marked before its reply was lost is not among them:
    // the store knows it by its `time_started`.
    return marksOf(ids, untouched);
  }

  /**
   * Marks the jobs running together with the results waiting for their
   * write (result_writer.ts `take`), in one commit, tried once; undefined
   * when there were no such results or the call failed: the marks then go
   * alone, and the results back to the writer. Both are recognised again
   * if the call committed before it failed.
   */
  async #markWithResults(ids: number[], startedAt: number): Promise<RunningMark[] | undefined> {
    if (!this.#options.starting()) return undefined;
    const results = this.#options.results.take();
    if (results === undefined) return undefined;
    try {
      const { notAccepted, notRunning } = await this.#options.store.markRunningAndDone(
        ids,
        startedAt,
        results.jobs,
      );
      results.settle(notRunning);
      return marksOf(ids, notAccepted);
    } catch (error) {
      results.giveBack();
      const level = isTransientStorageError(error) ? "debug" : "warn";
      log[level]("Marking jobs running with results failed; writing each alone: {error}", {
        error: messageOf(error),
      });
      return undefined;
    }
  }
}
