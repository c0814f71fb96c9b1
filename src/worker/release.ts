/**
 * Releasing claimed jobs that will not run here: their rows go back from
 * `accepted` (or from `running`, for jobs marked that never started) to the
 * status they were claimed from, for this or another worker to claim again.
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
   * Releases `jobs` from `from` (`marked` for jobs marked `running` whose
   * launcher never started); by default each from where its claim left it:
   * `marked` when the claim marked it `running`, else `accepted`. Throws
   * when the store refuses for a reason a retry cannot fix (or after the
   * retries were abandoned). Rows that changed under us are logged and left
   * alone.
   */
  async release(jobs: ClaimedJob[], from?: ReleaseFrom): Promise<void> {
    for (const [group, groupFrom] of groupsOf(jobs, from)) await this.#release(group, groupFrom);
  }

  /**
   * Releases `jobs` as `release` does; when the store refuses, logs it and
   * leaves their rows as they are (start-up recovery deals with them).
   */
  async releaseOrLeave(jobs: ClaimedJob[], from?: ReleaseFrom): Promise<void> {
    for (const [group, groupFrom] of groupsOf(jobs, from)) {
      try {
        await this.#release(group, groupFrom);
      } catch (error) {
        log.error("Cannot release jobs {ids}, leaving them '{status}': {error}", {
          ids: group.map((job) => job.id).join(", "),
          status: groupFrom === "marked" ? "running" : groupFrom,
          error: messageOf(error),
        });
      }
    }
  }

  async #release(jobs: ClaimedJob[], from: ReleaseFrom): Promise<void> {
    if (jobs.length === 0) return;
    const kept = await this.#retry.run(
      "release unstarted jobs",
      () => this.#store.release(jobs, from),
    );
    if (kept.length > 0) {
      log.warn("Jobs {ids} not released: their rows changed", { ids: kept.join(", ") });
    }
  }
}

/** `jobs` by where their release takes them from (see `Releaser.release`). */
function groupsOf(
  jobs: ClaimedJob[],
  from: ReleaseFrom | undefined,
): [ClaimedJob[], ReleaseFrom][] {
  if (from !== undefined) return [[jobs, from]];
  return [
    [jobs.filter((job) => !job.running), "accepted"],
    [jobs.filter((job) => job.running), "marked"],
  ];
}
