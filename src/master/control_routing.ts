/**
 * The master's routing of the operators' requests (`jobs`, `job`, `stats`,
 * `retry`, `add`). The master has no database: it passes each request to a worker,
 * whose answer it returns unchanged.
 *
 * - `add`, and `jobs` with a `target`: a worker serving that target (the
 *   least busy), as `run-manual` is routed; none is `worker serving target
 *   'X' not found`.
 * - `job`, `retry`, `stats`, and `jobs` without a target: any worker, the
 *   least busy first. The master assumes, as its routing by target already
 *   does, that its workers share one jobs table, so any of them sees every
 *   row. For the reading requests a worker that does not answer (gone, timed
 *   out) is passed over for the next; `add` and `retry` are sent once, since
 *   a worker that did not answer may have done them. A worker's refusal is
 *   the answer.
 * - Each request's data is checked here too (the worker checks it again), so
 *   that a bad one is refused before any worker is asked.
 * - `retry` then pokes the targets of the rows it put back to `waiting`, so
 *   the workers serving them claim them (the worker that answered has polled
 *   those it serves itself).
 *
 * @module
 */

import { readAddRequest, readJobId, readJobsQuery, readRetryIds } from "../protocol/validate.ts";
import type { RequestOptions, WorkerClient } from "../net/client.ts";
import { RemoteError, RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import {
  ControlRequest,
  type JobResult,
  type JobsQuery,
  type JobsResult,
  type RetryResult,
  type StatsResult,
} from "../protocol/control_requests.ts";
import { isPlainObject } from "../text.ts";
import { unservedTargetError, workerFailure } from "./fan_out.ts";
import type { PokeRouter } from "./poke.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";

/** Least busy first (those that seem hung last, then fewest requests in flight), then by name. */
function byLoad(workers: readonly RegisteredWorker[]): RegisteredWorker[] {
  return [...workers].sort((a, b) =>
    Number(a.seemsHung) - Number(b.seemsHung) || a.requestsInFlight - b.requestsInFlight ||
    a.name.localeCompare(b.name)
  );
}

/** One typed request to a worker's client, with the master's timeout. */
type Ask<T> = (client: WorkerClient, options: RequestOptions) => Promise<T>;

/**
 * Sends the request to the least busy of `workers`; a refusal is passed on
 * with the worker's own text. A request that only reads (`once` false) goes
 * to the next worker when one does not answer, and fails naming each
 * worker's failure. One that changes rows (`add`, `retry`) is sent once: a
 * worker that did not answer may have done it, and a second worker would
 * do it again.
 */
async function askFirst<T>(
  workers: readonly RegisteredWorker[],
  type: string,
  ask: Ask<T>,
  options: { once?: boolean; timeout: number },
): Promise<T> {
  const failures: string[] = [];
  for (const worker of byLoad(workers)) {
    try {
      return await ask(worker.client, { timeout: options.timeout });
    } catch (error) {
      if (error instanceof RemoteError) throw new RequestError(error.message);
      failures.push(workerFailure(worker, error));
      if (options.once) {
        throw new RequestError(
          `${type} in doubt: ${failures[0]}; it may have been done (see 'jobs')`,
        );
      }
    }
  }
  throw new RequestError(`${type} not done: ${failures.join("; ")}`);
}

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

/** Read at each call: how long to wait for a worker (seconds); `settings.requestTimeout` when absent. */
type Timeout = number | undefined;

/**
 * The routing of the requests that the master makes itself too (the status
 * page): the same worker choice, timeouts and pokes as the handlers, on data
 * already read. A worker's answer is returned as it came (a peer's data: read
 * it with care).
 */
export interface ControlRouter {
  jobs(query: JobsQuery, timeout?: number): Promise<JobsResult>;
  job(id: number, timeout?: number): Promise<JobResult>;
  stats(timeout?: number): Promise<StatsResult>;
  /** Sent once (see `askFirst`); pokes the targets of the rows put back to `waiting`. */
  retry(ids: readonly number[], timeout?: number): Promise<RetryResult>;
}

/** The {@linkcode ControlRouter} over the registry. */
export function controlRouter({ registry, pokes, settings }: ControlRoutingState): ControlRouter {
  const tryEach = (timeout: Timeout) => ({ timeout: timeout ?? settings.requestTimeout });
  const sendOnce = (timeout: Timeout) => ({ ...tryEach(timeout), once: true });
  return {
    jobs: (query, timeout) => {
      const workers = query.target === undefined
        ? anyWorker(registry, ControlRequest.Jobs)
        : servingWorkers(registry, query.target);
      return askFirst(
        workers,
        ControlRequest.Jobs,
        (client, options) => client.listJobs(query, options),
        tryEach(timeout),
      );
    },
    job: (id, timeout) =>
      askFirst(
        anyWorker(registry, ControlRequest.Job),
        ControlRequest.Job,
        (client, options) => client.showJob(id, options),
        tryEach(timeout),
      ),
    stats: (timeout) =>
      askFirst(
        anyWorker(registry, ControlRequest.Stats),
        ControlRequest.Stats,
        (client, options) => client.jobStats(options),
        tryEach(timeout),
      ),
    retry: async (ids, timeout) => {
      const answer: unknown = await askFirst(
        anyWorker(registry, ControlRequest.Retry),
        ControlRequest.Retry,
        (client, options) => client.retryJobs(ids, options),
        sendOnce(timeout),
      );
      // The worker's answer is passed on as it is; only its targets are read here.
      const targets = isPlainObject(answer) && Array.isArray(answer.targets)
        ? answer.targets.filter((target): target is string => typeof target === "string")
        : [];
      if (targets.length > 0) pokes.poke(targets);
      return answer as RetryResult;
    },
  };
}

/**
 * The master's handlers of `jobs`, `job`, `stats`, `retry` and `add`: the
 * data is read here (a bad request is refused before any worker is asked)
 * and sent on through the worker's typed client.
 */
export function controlRouting(state: ControlRoutingState): Handlers {
  const { registry, settings } = state;
  const router = controlRouter(state);
  return {
    [ControlRequest.Jobs]: (data) => router.jobs(readJobsQuery(data)),
    [ControlRequest.Job]: (data) => router.job(readJobId(data)),
    [ControlRequest.Stats]: () => router.stats(),
    [ControlRequest.Retry]: (data) => router.retry(readRetryIds(data)),
    [ControlRequest.Add]: (data) => {
      const request = readAddRequest(data);
      return askFirst(
        servingWorkers(registry, request.target),
        ControlRequest.Add,
        (client, options) => client.addJobs(request, options),
        { once: true, timeout: settings.requestTimeout },
      );
    },
  };
}
