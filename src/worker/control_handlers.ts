/**
 * The worker's handlers of the operators' requests: `jobs`, `job`, `stats`, `retry` and `add` read and change the
 * jobs table through the store's `JobControl`, so that jobctl needs no
 * database credentials. `retry` and `add` poll the targets they made work
 * for, when this worker serves them. A store's failure is the request's
 * error (storage_refusals.ts).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  readAddRequest,
  readJobId,
  readJobsQuery,
  readRetryIds,
  readStatsQuery,
} from "../protocol/validate.ts";
import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import {
  type AddResult,
  boundStatsTargets,
  ControlRequest,
  jobNotFound,
  type JobResult,
  type JobsResult,
  type RetryResult,
  type StatsResult,
  type WaitingStatsResult,
} from "../protocol/control_requests.ts";
import type { JobControl } from "../storage/job_control.ts";
import { unixNow } from "../unix_time.ts";

const log = getLogger(["jobd", "worker", "control"]);

/** What the handlers need of the worker: its targets, and a poll. */
export interface PolledTargets {
  readonly targets: ReadonlyMap<string, unknown>;
  poll(targets: readonly string[]): void;
}

/**
 * The handlers of the control requests. Without `control` (a store made for
 * tests) each answers that the store does not support it.
 */
export function controlHandlers(control: JobControl | undefined, worker: PolledTargets): Handlers {
  const store = (): JobControl => {
    if (control === undefined) {
      throw new RequestError("this worker's store does not support the operators' requests");
    }
    return control;
  };
  return {
    [ControlRequest.Jobs]: async (data): Promise<JobsResult> => {
      const query = readJobsQuery(data);
      return { jobs: await store().listJobs(query) };
    },
    [ControlRequest.Job]: async (data): Promise<JobResult> => {
      const id = readJobId(data);
      const found = await store().getJob(id);
      if (found === undefined) throw new RequestError(jobNotFound(id));
      return found;
    },
    [ControlRequest.Stats]: async (data): Promise<StatsResult | WaitingStatsResult> => {
      const { only } = readStatsQuery(data);
      const time = unixNow();
      if (only === "waiting") {
        const counts = await store().countWaiting([...worker.targets.keys()]);
        return {
          targets: Object.fromEntries(
            Object.entries(counts).map(([target, waiting]) => [target, { waiting }]),
          ),
          time,
        };
      }
      return { ...boundStatsTargets(await store().countJobs(time)), time };
    },
    [ControlRequest.Retry]: async (data): Promise<RetryResult> => {
      const ids = readRetryIds(data);
      const outcome = await store().retryJobs(ids);
      const targets = [...new Set(outcome.retried.map((job) => job.target))];
      const served = targets.filter((target) => worker.targets.has(target));
      if (served.length > 0) worker.poll(served);
      const result: RetryResult = { retried: outcome.retried.map((job) => job.id), targets };
      if (outcome.errors.size > 0) result.errors = Object.fromEntries(outcome.errors);
      if (outcome.retried.length > 0) {
        log.info("Retried {count} job(s) of {targets}", {
          count: outcome.retried.length,
          targets: targets.join(", "),
        });
      }
      return result;
    },
    [ControlRequest.Add]: async (data): Promise<AddResult> => {
      const request = readAddRequest(data);
      if (!worker.targets.has(request.target)) {
        throw new RequestError(`invalid target '${request.target}'`);
      }
      const added = await store().addJobs(request, unixNow());
      // Waiting rows are claimed by the poll; for delayed ones the poll's look
      // at the target's delayed rows arms the timer to their run time (deferred.ts).
      worker.poll([request.target]);
      log.info("Added {count} {status} job(s) of {target}", {
        count: added.ids.length,
        status: added.status,
        target: request.target,
      });
      return added;
    },
  };
}
