import type { ClaimedJob } from "../job.ts";
import type { ReleaseFrom } from "./job_store.ts";

/**
 * The condition that limits a statement to the rows this worker owns: with
 * the optional `worker` column, a guarded change of a row another worker has
 * claimed since (after a reply was lost and the change retried) leaves it alone.
 */
export function ownerGuard(
  context: { readonly tracksOwner: boolean; readonly workerName: string },
): { sql: string; params: string[] } {
  return context.tracksOwner
    ? { sql: " AND worker = ?", params: [context.workerName] }
    : { sql: "", params: [] };
}

/**
 * The condition that limits a `marked` release to the row as this worker's
 * mark left it: `time_started` as the mark wrote it (`ClaimedJob.startedAt`),
 * so that a release tried again after another worker marked the row (the
 * first try committed, its reply was lost) leaves that worker's job alone,
 * with or without the `worker` column.
 */
export function markGuard(
  from: ReleaseFrom,
  job: ClaimedJob,
): { sql: string; params: number[] } {
  return from === "marked" && job.startedAt !== undefined
    ? { sql: " AND time_started = ?", params: [job.startedAt] }
    : { sql: "", params: [] };
}
