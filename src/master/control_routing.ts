/**
 * The master's routing of the operators' requests (`jobs`, `job`, `stats`,
 * `retry`, `add`). The master has no database: it passes each request to a
 * worker, whose answer it returns unchanged.
 *
 * - `add`, and `jobs` with a `target`: a worker serving that target, as
 *   `run-manual` is routed; none is `worker serving target 'X' not found`.
 * - `job`, `retry`, `stats`, and `jobs` without a target: any worker. The
 *   master assumes, as its routing by target already does, that its workers
 *   share one jobs table, so any of them sees every row.
 * - Which worker first, and when the next is asked, is ask_any.ts's: during
 *   a rolling upgrade an older worker refuses these requests as unknown, and
 *   is passed over (and not asked them again); for a reading request so is a
 *   worker that refuses (its database away) or does not answer; `add` and
 *   `retry` go to another worker only when the first surely did nothing.
 *   All within the request's timeout (`request_timeout`, or the HTTP
 *   readers' own).
 * - Each request's data is checked here too (the worker checks it again), so
 *   that a bad one is refused before any worker is asked.
 * - `retry` then pokes the targets of the rows it put back to `waiting`, so
 *   the workers serving them claim them (the worker that answered has polled
 *   those it serves itself).
 *
 * @module
 */

import { readAddRequest, readJobId, readJobsQuery, readRetryIds } from "../protocol/validate.ts";
import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import {
  type AddRequest,
  type AddResult,
  ControlRequest,
  jobNotFound,
  type JobResult,
  type JobsQuery,
  type JobsResult,
  type RetryResult,
  type StatsResult,
} from "../protocol/control_requests.ts";
import { isPlainObject } from "../text.ts";
import { askAny, type AskLimits } from "./ask_any.ts";
import { unservedTargetError } from "./fan_out.ts";
import type { PokeRouter } from "./poke.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";

function anyWorker(registry: WorkerRegistry, type: string): RegisteredWorker[] {
  const workers = registry.workers;
  if (workers.length === 0) throw new RequestError(`${type} not done: no worker is registered`);
  return workers;
}

function servingWorkers(registry: WorkerRegistry, target: string): RegisteredWorker[] {
  const workers = registry.serving(target);
  if (workers.length === 0) throw new RequestError(unservedTargetError(target));
  return workers;
}

/** What the routing works on. */
export interface ControlRoutingState {
  registry: WorkerRegistry;
  pokes: PokeRouter;
  /** Read at each request: `request_timeout`, the wait for a worker's answer (a reload changes it). */
  settings: { readonly requestTimeout: number };
}

/**
 * The routing of the requests that the master makes itself too (the status
 * page): the same worker choice, timeouts and pokes as the handlers, on data
 * already read. A worker's answer is returned as it came (a peer's data: read
 * it with care). Without `limits`, each waits `request_timeout` in all.
 */
export interface ControlRouter {
  jobs(query: JobsQuery, limits?: AskLimits): Promise<JobsResult>;
  job(id: number, limits?: AskLimits): Promise<JobResult>;
  stats(limits?: AskLimits): Promise<StatsResult>;
  /** Asked again only where surely not done (ask_any.ts); pokes the targets of the rows put back to `waiting`. */
  retry(ids: readonly number[], limits?: AskLimits): Promise<RetryResult>;
  add(request: AddRequest, limits?: AskLimits): Promise<AddResult>;
}

/** The {@linkcode ControlRouter} over the registry. */
export function controlRouter({ registry, pokes, settings }: ControlRoutingState): ControlRouter {
  // Read at each request: a reload may change request_timeout.
  const within = (limits: AskLimits | undefined): AskLimits =>
    limits ?? { timeout: settings.requestTimeout, budget: settings.requestTimeout };
  return {
    jobs: (query, limits) =>
      askAny(
        query.target === undefined
          ? anyWorker(registry, ControlRequest.Jobs)
          : servingWorkers(registry, query.target),
        (client, options) => client.listJobs(query, options),
        { type: ControlRequest.Jobs, changesRows: false, ...within(limits) },
      ),
    job: (id, limits) =>
      askAny(
        anyWorker(registry, ControlRequest.Job),
        (client, options) => client.showJob(id, options),
        {
          type: ControlRequest.Job,
          changesRows: false,
          isAnswer: (message) => message === jobNotFound(id),
          ...within(limits),
        },
      ),
    stats: (limits) =>
      askAny(
        anyWorker(registry, ControlRequest.Stats),
        (client, options) => client.jobStats(options),
        { type: ControlRequest.Stats, changesRows: false, ...within(limits) },
      ),
    retry: async (ids, limits) => {
      const answer: unknown = await askAny(
        anyWorker(registry, ControlRequest.Retry),
        (client, options) => client.retryJobs(ids, options),
        { type: ControlRequest.Retry, changesRows: true, ...within(limits) },
      );
      // The worker's answer is passed on as it is; only its targets are read here.
      const targets = isPlainObject(answer) && Array.isArray(answer.targets)
        ? answer.targets.filter((target): target is string => typeof target === "string")
        : [];
      if (targets.length > 0) pokes.poke(targets);
      return answer as RetryResult;
    },
    add: (request, limits) =>
      askAny(
        servingWorkers(registry, request.target),
        (client, options) => client.addJobs(request, options),
        { type: ControlRequest.Add, changesRows: true, ...within(limits) },
      ),
  };
}

/**
 * The master's handlers of `jobs`, `job`, `stats`, `retry` and `add`: the
 * data is read here (a bad request is refused before any worker is asked)
 * and sent on through the worker's typed client.
 */
export function controlRouting(state: ControlRoutingState): Handlers {
  const router = controlRouter(state);
  return {
    [ControlRequest.Jobs]: (data) => router.jobs(readJobsQuery(data)),
    [ControlRequest.Job]: (data) => router.job(readJobId(data)),
    [ControlRequest.Stats]: () => router.stats(),
    [ControlRequest.Retry]: (data) => router.retry(readRetryIds(data)),
    [ControlRequest.Add]: (data) => router.add(readAddRequest(data)),
  };
}
