/**
 * The operators' requests (`jobs`, `job`, `stats`, `retry`, `add`) as typed
 * calls, on a worker or a master alike (both take the same data): pass a
 * `WorkerClient`, a `MasterClient` or any `Requester`.
 *
 * ```ts
 * await using master = await MasterClient.connect({ host: "127.0.0.1", port: 7081 });
 * const { ids } = await addJobs(master, { target: "build", count: 1, values: {} });
 * ```
 *
 * @module
 */

import type { RequestData } from "../protocol/messages.ts";
import {
  type AddRequest,
  addRequestData,
  type AddResult,
  ControlRequest,
  type JobResult,
  type JobsQuery,
  type JobsResult,
  type RetryResult,
  type StatsResult,
} from "../protocol/control_requests.ts";
import type { Requester } from "./client.ts";
import type { RequestOptions } from "./connection.ts";

/** Rows newest first, by target and status (`limit` defaults to 20, at most 1000). */
export async function listJobs(
  client: Requester,
  query: Partial<JobsQuery> = {},
  options?: RequestOptions,
): Promise<JobsResult> {
  const data: RequestData = {};
  if (query.target !== undefined) data.target = query.target;
  if (query.status !== undefined) data.status = query.status;
  if (query.limit !== undefined) data.limit = query.limit;
  return await client.request(ControlRequest.Jobs, data, options) as JobsResult;
}

/** Every column of one row; the daemon refuses an id with no row (`job N not found`). */
export async function showJob(
  client: Requester,
  id: number,
  options?: RequestOptions,
): Promise<JobResult> {
  return await client.request(ControlRequest.Job, { id }, options) as JobResult;
}

/** Counts per target: unfinished rows by status, done rows by result, oldest waiting age. */
export async function jobStats(
  client: Requester,
  options?: RequestOptions,
): Promise<StatsResult> {
  return await client.request(ControlRequest.Stats, {}, options) as StatsResult;
}

/** Final rows back to `waiting`; the others come back in `errors` with the reason. */
export async function retryJobs(
  client: Requester,
  ids: readonly number[],
  options?: RequestOptions,
): Promise<RetryResult> {
  return await client.request(ControlRequest.Retry, { ids: [...ids] }, options) as RetryResult;
}

/** Inserts rows of a target (delayed until `runAt` when given) and answers their ids. */
export async function addJobs(
  client: Requester,
  request: AddRequest,
  options?: RequestOptions,
): Promise<AddResult> {
  return await client.request(ControlRequest.Add, addRequestData(request), options) as AddResult;
}
