/**
 * The job board's requests on the master: the master has no board
 * of its own, so `schedules` asks every registered worker and merges their
 * answers by schedule name (an older worker, which does not know the
 * request, has no board: an empty one, not an error), and `schedule-run` / `-pause` / `-resume` go to
 * one worker whose board has the schedule and which serves its target.
 *
 * @module
 */

import { isUnknownRequestType, RequestError } from "../net/errors.ts";
import type { WorkerClient } from "../net/client.ts";
import type { Handlers } from "../net/server.ts";
import {
  MasterRequest,
  type MasterSchedulesResult,
  MAX_SCHEDULE_NAME_LENGTH,
  type ScheduleInfo,
  WorkerRequest,
} from "../protocol/requests.ts";
import { readScheduleName } from "../protocol/validate.ts";
import { isPlainObject } from "../text.ts";
import { workerFailure } from "./fan_out.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";

interface Listing {
  worker: RegisteredWorker;
  schedules: ScheduleInfo[];
}

/** Whether a worker's entry has what the master reads of it (the rest is passed on as it is). */
function isScheduleInfo(value: unknown): value is ScheduleInfo {
  return isPlainObject(value) && typeof value.name === "string" &&
    value.name.length <= MAX_SCHEDULE_NAME_LENGTH && typeof value.target === "string" &&
    typeof value.served === "boolean";
}

/**
 * One worker's schedules within `timeout` seconds, or why there are none.
 * An older worker, which does not know `schedules`, has no job board: its
 * list is empty, and it is not asked again on this connection.
 */
async function listOne(
  worker: RegisteredWorker,
  timeout: number,
): Promise<{ listing: Listing } | { error: string }> {
  if (worker.knows(WorkerRequest.Schedules) === false) {
    return { listing: { worker, schedules: [] } };
  }
  try {
    const data: unknown = await worker.client.schedules({ timeout });
    worker.noteKnows(WorkerRequest.Schedules, true);
    if (!isPlainObject(data) || !Array.isArray(data.schedules)) {
      throw new Error("the answer has no schedules list");
    }
    return { listing: { worker, schedules: data.schedules.filter(isScheduleInfo) } };
  } catch (error) {
    if (isUnknownRequestType(error, WorkerRequest.Schedules)) {
      worker.noteKnows(WorkerRequest.Schedules, false);
      return { listing: { worker, schedules: [] } };
    }
    return { error: workerFailure(worker, error) };
  }
}

/** The workers' listings, and by worker name the errors of those that failed. */
interface Listings {
  listings: Listing[];
  errors: Record<string, string>;
}

/**
 * Asks every worker for its schedules; `onListing` sees each listing as it
 * comes. Resolves, in the registry's order, when every worker has answered or failed.
 */
async function listAll(
  registry: WorkerRegistry,
  timeout: number,
  onListing: (listing: Listing) => void = () => {},
): Promise<Listings> {
  const workers = registry.workers;
  const answers = await Promise.all(workers.map(async (worker) => {
    const answer = await listOne(worker, timeout);
    if ("listing" in answer) onListing(answer.listing);
    return answer;
  }));
  const found: Listings = { listings: [], errors: {} };
  answers.forEach((answer, index) => {
    if ("listing" in answer) found.listings.push(answer.listing);
    else found.errors[workers[index].name] = answer.error;
  });
  return found;
}

/**
 * Merges the workers' lists: one entry per name, from a worker that serves
 * the target when there is one, with every worker whose board has it.
 */
export function mergeSchedules(
  listings: readonly { worker: { name: string }; schedules: readonly ScheduleInfo[] }[],
): ScheduleInfo[] {
  const merged = new Map<string, ScheduleInfo>();
  for (const { worker, schedules } of listings) {
    for (const schedule of schedules) {
      const known = merged.get(schedule.name);
      // One array per schedule, added to: a copy per worker cost the square of the workers.
      const workers = known?.workers ?? [];
      workers.push(worker.name);
      if (known === undefined || (!known.served && schedule.served)) {
        merged.set(schedule.name, { ...schedule, workers });
      }
    }
  }
  for (const schedule of merged.values()) {
    // A serving worker's own note (its row follows another board's rule) is kept.
    if (!schedule.served) schedule.problem = `no worker serves target '${schedule.target}'`;
  }
  return [...merged.values()];
}

/**
 * The worker of `listings` whose board has schedule `name` and which serves
 * its target; otherwise the error, which names the workers that did not
 * answer (`errors`, by worker name): one of them may be the one that runs it.
 */
export function workerRunning<W>(
  listings: readonly { worker: W; schedules: readonly ScheduleInfo[] }[],
  errors: Readonly<Record<string, string>>,
  name: string,
): W {
  let listed: ScheduleInfo | undefined;
  for (const { worker, schedules } of listings) {
    const schedule = schedules.find((candidate) => candidate.name === name);
    if (schedule === undefined) continue;
    listed = schedule;
    if (schedule.served) return worker;
  }
  const silent = Object.values(errors);
  const unanswered = silent.length === 0
    ? ""
    : ` among the workers that answered; ${silent.join("; ")}`;
  if (listed !== undefined) {
    throw new RequestError(
      `schedule '${name}': no worker serves its target '${listed.target}'${unanswered}`,
    );
  }
  throw new RequestError(`schedule '${name}' not found${unanswered}`);
}

/**
 * Sends a request about schedule `name` (through `send`) to a worker that
 * runs it: the first whose listing shows it, without waiting for the others
 * (a worker that does not answer delays only a request no other worker can
 * take).
 */
async function forward<T>(
  registry: WorkerRegistry,
  name: string,
  timeout: number,
  send: (client: WorkerClient) => Promise<T>,
): Promise<T> {
  const { promise: running, resolve } = Promise.withResolvers<RegisteredWorker>();
  const all = listAll(registry, timeout, ({ worker, schedules }) => {
    if (schedules.some((schedule) => schedule.name === name && schedule.served)) resolve(worker);
  }).then(({ listings, errors }) => workerRunning(listings, errors, name));
  return await send((await Promise.race([running, all])).client);
}

/**
 * The master's `schedules`: every worker's board merged, and the workers
 * that failed to answer within `timeout` seconds.
 */
export async function listSchedules(
  registry: WorkerRegistry,
  timeout: number,
): Promise<MasterSchedulesResult> {
  const { listings, errors } = await listAll(registry, timeout);
  const schedules = mergeSchedules(listings);
  return Object.keys(errors).length > 0 ? { schedules, errors } : { schedules };
}

/** `schedule-pause` / `schedule-resume` of schedule `name`, sent to a worker that runs it. */
export async function pauseSchedule(
  registry: WorkerRegistry,
  name: string,
  paused: boolean,
  timeout: number,
): Promise<"ok"> {
  const options = { timeout };
  await forward(
    registry,
    name,
    timeout,
    (client) => paused ? client.schedulePause(name, options) : client.scheduleResume(name, options),
  );
  return "ok";
}

/**
 * The master's handlers of the board's requests; each waits
 * `settings.requestTimeout` seconds (read per request: a reload may change it)
 * for a worker's answer.
 */
export function masterScheduleHandlers(
  registry: WorkerRegistry,
  settings: { readonly requestTimeout: number },
): Handlers {
  return {
    [MasterRequest.Schedules]: () => listSchedules(registry, settings.requestTimeout),
    [MasterRequest.ScheduleRun]: (data) => {
      const name = readScheduleName(data);
      return forward(
        registry,
        name,
        settings.requestTimeout,
        (client) => client.scheduleRun(name, { timeout: settings.requestTimeout }),
      );
    },
    [MasterRequest.SchedulePause]: (data) =>
      pauseSchedule(registry, readScheduleName(data), true, settings.requestTimeout),
    [MasterRequest.ScheduleResume]: (data) =>
      pauseSchedule(registry, readScheduleName(data), false, settings.requestTimeout),
  };
}
