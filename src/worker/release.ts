/**
 * Releasing claimed jobs that will not run here: their rows go back from
 * `accepted` to the status they were claimed from, for this or another
 * worker to claim again.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import type { ClaimedJob } from "../job.ts";
import type { JobStore, ReleaseFrom } from "../storage/job_store.ts";
import type { StorageRetry } from "./storage_retry.ts";

const log = getLogger(["jobd", "worker"]);

/** Releases unstarted jobs through the store, retried while the database is away. */
export class Releaser {
  readonly #store: JobStore;
  readonly #retry: StorageRetry;

  constructor(store: JobStore, retry: StorageRetry) {
    this.#store = store;
    this.#retry = retry;
  }

  /**
   * Releases `jobs` from `from` (`accepted` by default; `marked` for jobs
   * marked `running` whose launcher never started); throws when the store refuses for a
   * reason a retry cannot fix (or after the retries were abandoned). Rows
   * that changed under us are logged and left alone.
   */
  async release(jobs: ClaimedJob[], from?: ReleaseFrom): Promise<void> {
    if (jobs.length === 0) return;
    const kept = await this.#retry.run(
      "release unstarted jobs",
      () => this.#store.release(jobs, from),
    );
    if (kept.length > 0) {
      log.warn("Jobs {ids} not released: their rows changed", { ids: kept.join(", ") });
    }
  }

  /**
   * Releases `jobs` from `from`; when the store refuses, logs it and leaves
   * their rows as they are (start-up recovery deals with them).
   */
  async releaseOrLeave(jobs: ClaimedJob[], from?: ReleaseFrom): Promise<void> {
    try {
      await this.release(jobs, from);
    } catch (error) {
      log.error("Cannot release jobs {ids}, leaving them '{status}': {error}", {
        ids: jobs.map((job) => job.id).join(", "),
        status: from === "marked" ? "running" : from ?? "accepted",
        error: messageOf(error),
      });
    }
  }
}
