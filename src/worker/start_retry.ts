/**
 * Starting a job's launcher again while the start fails for a reason that
 * may pass (spawn_errors.ts: out of file descriptors or memory). The job
 * keeps its slot and its row stays `running` meanwhile, as during a database
 * outage; it never ends `fail` for such a reason. Other start failures end
 * the job as before.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type BackoffSteps, retry } from "../retry_policy.ts";
import { messageOf } from "../text.ts";
import { type LaunchedJob, type LauncherSettings, launchJob } from "./launcher.ts";

const log = getLogger(["jobd", "worker"]);

/** What {@linkcode startJob} needs from the worker. */
export interface StartJobOptions {
  /** The launcher settings now (read at each attempt: a reload may change them). */
  settings(): LauncherSettings;
  /** Waits between attempts; the worker's shutdown ends such waits early. */
  sleep(ms: number): Promise<void>;
  /** Whether to stop trying (the worker is shutting down). */
  givenUp(): boolean;
  /** Told of each attempt's job, so that it can be signalled meanwhile. */
  attempted?(launched: LaunchedJob): void;
  /** The delays between attempts (default: 250 ms doubling to 10 s, as for outages). */
  steps?: BackoffSteps;
}

/** A start that failed for a reason that may pass; its text is the reason. */
class StartFailedForNow extends Error {}

/**
 * Starts the launcher of job `jobId`, trying again with growing delays while
 * the start fails for a reason that may pass.
 *
 * @returns the job, started or failed for good; undefined when `givenUp()`
 *   became true before it could start (it never ran)
 */
export async function startJob(
  jobId: number,
  options: StartJobOptions,
): Promise<LaunchedJob | undefined> {
  return await retry(async () => {
    if (options.givenUp()) return undefined;
    const launched = launchJob(jobId, options.settings());
    options.attempted?.(launched);
    if (!launched.retryable) return launched;
    throw new StartFailedForNow((await launched.done).stderr);
  }, {
    retryable: (error) => error instanceof StartFailedForNow,
    steps: options.steps,
    sleep: (ms) => options.sleep(ms),
    onRetry: (error, delay) => {
      log.warn("Cannot start job {id} now, trying again in {delay} ms: {reason}", {
        id: jobId,
        delay,
        reason: messageOf(error),
      });
    },
  });
}
