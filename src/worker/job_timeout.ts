/**
 * Job timeouts (`timeout`, `timeout_grace`, the optional `timeout` column):
 * a job that runs longer than its limit gets SIGTERM (its whole process
 * group, through `LaunchedJob`), and SIGKILL after the grace period; its
 * outcome then says so.
 */

import { getLogger } from "@logtape/logtape";
import { type JobOutcome, TIMED_OUT_NOTE_START } from "../job.ts";
import type { LaunchedJob } from "./launcher.ts";
import { setLongTimer } from "./long_timer.ts";

const log = getLogger(["jobd", "worker", "timeout"]);

/** How long a job may run, and how long it gets after the SIGTERM. Seconds. */
export interface TimeLimit {
  /** > 0. */
  readonly seconds: number;
  readonly graceSeconds: number;
}

/** The line that ends the stderr of a job stopped at its limit. */
export function timedOutNote(seconds: number): string {
  return `${TIMED_OUT_NOTE_START}${seconds} s]`;
}

/**
 * How the launched job ends, with `limit` enforced from now (the launch):
 * at the limit SIGTERM, after the grace SIGKILL. A job stopped so ends as
 * `fail`, with `sig` the signal sent when it reports none (it trapped the
 * SIGTERM and exited), and `[jobd: timed out after N s]` at the end of its
 * stderr; `onTimedOut` hears of that SIGTERM. Without a limit, the job's own outcome. Never
 * rejects.
 */
export async function limitRunTime(
  jobId: number,
  launched: LaunchedJob,
  limit: TimeLimit | undefined,
  onTimedOut?: (seconds: number) => void,
): Promise<JobOutcome> {
  if (limit === undefined || !(limit.seconds > 0)) return await launched.done;
  let sent: "SIGTERM" | "SIGKILL" | undefined;
  let grace: { cancel(): void } | undefined;
  const timer = setLongTimer(limit.seconds * 1000, () => {
    if (!launched.signal("SIGTERM")) return;
    sent = "SIGTERM";
    onTimedOut?.(limit.seconds);
    log.warn("Job {id} timed out after {seconds} s: sent SIGTERM, SIGKILL in {grace} s", {
      id: jobId,
      seconds: limit.seconds,
      grace: limit.graceSeconds,
    });
    grace = setLongTimer(limit.graceSeconds * 1000, () => {
      if (!launched.signal("SIGKILL")) return;
      sent = "SIGKILL";
      log.warn("Job {id} did not end within {grace} s of its SIGTERM: sent SIGKILL", {
        id: jobId,
        grace: limit.graceSeconds,
      });
    });
  });
  const outcome = await launched.done;
  timer.cancel();
  grace?.cancel();
  if (sent === undefined) return outcome;
  const note = timedOutNote(limit.seconds);
  const stderr = outcome.stderr === "" || outcome.stderr.endsWith("\n")
    ? `${outcome.stderr}${note}`
    : `${outcome.stderr}\n${note}`;
  return { ...outcome, result: "fail", signal: outcome.signal ?? sent, stderr };
}
