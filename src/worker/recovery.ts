import { getLogger } from "@logtape/logtape";
import { MAX_ATTEMPTS_LIMIT } from "../config/job_policy.ts";
import type { JobOutcome } from "../job.ts";
import type { FinishedJob, JobStore } from "../storage/job_store.ts";
import { type JobPolicies, rowNumber, TimePolicy } from "./time_policy.ts";
import type { LeftoverCandidate } from "./leftover_jobs.ts";
import { unixNow } from "../unix_time.ts";

const log = getLogger(["jobd", "worker", "recovery"]);

/** What start-up recovery does with a job that was running when the worker died. */
export type RecoverRunning = "fail" | "requeue";

/** The text stored in `stderr` of a job that was running when its worker stopped. */
export const WORKER_STOPPED_NOTE =
  "[jobd: the worker stopped while this job ran; its outcome is unknown and it was not run again]";

/** What recovery did, by job id. */
export interface RecoveryReport {
  /** Rows released to `waiting` (claimed but never started, or requeued). */
  requeued: number[];
  /** Rows ended as `done` / `fail` because they were running. */
  failed: number[];
  /** Rows that were running, failed, and wait as `delayed` for their next attempt. */
  retried: number[];
}

/**
 * Brings rows this worker left `accepted` or `running` (a crash, a kill) to a
 * state that moves on. A row that never started goes back to `waiting`: the
 * claim's origin is not stored in the table, and `waiting` lets it run. A row
 * that was running ends as `fail` with a note (never run twice behind the
 * user's back), or goes back to `waiting` with `recover_running = requeue`.
 * Without the `worker` column nothing can be told apart, and recovery is off.
 *
 * `endLeftovers` is given the rows left `running`, with their targets'
 * `timeout_grace`, before any row changes: it ends whatever of those jobs
 * still runs (leftover_jobs.ts), so that none runs twice at once.
 */
export async function recoverLeftBehind(
  store: JobStore,
  mode: RecoverRunning,
  policies?: JobPolicies,
  endLeftovers?: (jobs: LeftoverCandidate[]) => Promise<unknown>,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { requeued: [], failed: [], retried: [] };
  if (!store.tracksOwner) {
    log.warn(
      "Crash recovery is off: the jobs table has no 'worker' column. " +
        "Add it (see examples/schema.sql) so that jobs left behind by a crash are recovered",
    );
    return report;
  }
  const leftBehind = await store.findLeftBehind();
  const time = new TimePolicy(policies, store.timeFeatures);
  await endLeftovers?.(
    leftBehind.filter((job) => job.status === "running").map((job) => ({
      id: job.id,
      graceSeconds: time.policyOf(job.target).timeoutGrace,
    })),
  );
  const requeue = async (status: "accepted" | "running") => {
    const jobs = leftBehind.filter((job) => job.status === status)
      .map((job) => ({ id: job.id, target: job.target, origin: "waiting" as const }));
    const kept = new Set(await store.release(jobs, status));
    // One by one: a spread of the 150,000 rows a worker may hold ahead overflows the stack.
    for (const { id } of jobs) if (!kept.has(id)) report.requeued.push(id);
  };
  await requeue("accepted");
  if (mode === "requeue") await requeue("running");
  const running = mode === "fail" ? leftBehind.filter((job) => job.status === "running") : [];
  const now = unixNow();
  // With attempts left, the crash counts as a failed attempt: retried after its delay.
  const outcome: JobOutcome = {
    result: "fail",
    code: null,
    signal: null,
    stdout: "",
    stderr: WORKER_STOPPED_NOTE,
  };
  const ends: FinishedJob[] = running.map((job) => {
    // `attempts` counts the start that crashed; the policy counts from before it.
    const counted = rowNumber(job.id, "attempts", job.row?.attempts, MAX_ATTEMPTS_LIMIT) ?? 1;
    const row = job.row && { ...job.row, attempts: Math.max(0, counted - 1) };
    const { retryAt } = time.decide(
      { id: job.id, target: job.target, origin: "waiting", row },
      outcome,
      { manual: false, signalled: false, nowSeconds: now },
    );
    return { id: job.id, finishedAt: now, outcome: { ...outcome }, retryAt };
  });
  const notFinished = new Set(await store.markDone(ends));
  const stored = ends.filter((end) => !notFinished.has(end.id));
  report.failed = stored.filter((end) => end.retryAt === undefined).map((end) => end.id);
  report.retried = stored.filter((end) => end.retryAt !== undefined).map((end) => end.id);
  if (leftBehind.length > 0) {
    log.warn(
      "Recovered jobs left behind: requeued {requeued}, failed {failed}, retried {retried}",
      {
        requeued: report.requeued.join(", ") || "none",
        failed: report.failed.join(", ") || "none",
        retried: report.retried.join(", ") || "none",
      },
    );
  }
  return report;
}
