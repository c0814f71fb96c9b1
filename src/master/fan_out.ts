/**
 * The master's requests that go out to several workers and come back as one
 * answer: `pause` / `continue`, `status` with `poll_workers`, `run-manual`
 * and `send-signal` (docs/protocol.md, "Master requests"). A worker that
 * fails or disconnects affects only its own part of the answer.
 *
 * @module
 */

import type { Answer } from "../deadline.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../protocol/framing.ts";
import { RemoteError, RequestError } from "../net/errors.ts";
import { isPlainObject, messageOf, quoteList } from "../text.ts";
import {
  type JobOutcome,
  type MasterSendSignalResult,
  type MasterStatus,
  type RunManualResult,
  type SendSignalResult,
  type TargetedJob,
  type TargetedSignal,
  type WorkerInfo,
  WorkerRequest,
  type WorkerStatus,
} from "../protocol/requests.ts";
import type { RegisteredWorker, WorkerRegistry } from "./registry.ts";
import { WORKER_STATUS_TIMEOUT } from "./timeouts.ts";

/** The error text of a job whose target no registered worker serves. */
export function unservedTargetError(target: string): string {
  return `worker serving target '${target}' not found`;
}

/** What a worker's failure to answer reads like in a per-job or per-worker error. */
export function workerFailure(worker: RegisteredWorker, error: unknown): string {
  const reason = messageOf(error);
  if (error instanceof RemoteError) return `worker '${worker.name}' refused: ${reason}`;
  return `worker '${worker.name}' did not answer: ${reason}`;
}

/**
 * `pause` / `continue`: each worker serving some of `targets` gets the
 * request with the targets it serves among them; with `targets` undefined
 * every worker gets it for all its targets. Resolves `"ok"` when every
 * worker has answered (within `timeout` seconds); rejects with a
 * `RequestError` naming the workers that failed and the targets that no
 * worker serves.
 */
export async function forwardToServing(
  registry: WorkerRegistry,
  type: typeof WorkerRequest.Pause | typeof WorkerRequest.Continue,
  targets: readonly string[] | undefined,
  timeout: number,
): Promise<string> {
  const unserved = (targets ?? []).filter((target) => !registry.isServed(target));
  const sends: Promise<string | undefined>[] = [];
  const recipients: Iterable<[RegisteredWorker, string[] | undefined]> = targets === undefined
    ? registry.workers.map((worker) => [worker, undefined])
    : registry.servingAny(targets);
  for (const [worker, served] of recipients) {
    const options = { timeout };
    const sent = type === WorkerRequest.Pause
      ? worker.client.pause(served, options)
      : worker.client.continue(served, options);
    sends.push(
      sent.then(
        () => undefined,
        (error) => workerFailure(worker, error),
      ),
    );
  }
  const problems = (await Promise.all(sends)).filter((text) => text !== undefined);
  if (unserved.length > 0) {
    problems.push(
      `no worker serves ${unserved.length === 1 ? "target" : "targets"} ${quoteList(unserved)}`,
    );
  }
  if (problems.length > 0) throw new RequestError(`${type} incomplete: ${problems.join("; ")}`);
  return "ok";
}

/**
 * A worker's own `status` within `timeout` seconds, or why there is none
 * ({@linkcode workerFailure}): what `status` with `poll_workers` and the
 * status page show of each worker.
 */
export async function workerStatus(
  worker: RegisteredWorker,
  timeout: number,
): Promise<Answer<WorkerStatus>> {
  try {
    return { ok: true, value: await worker.client.status({ timeout }) };
  } catch (error) {
    return { ok: false, error: workerFailure(worker, error) };
  }
}

/**
 * `status`: the registered workers by name, and with `pollWorkers` each
 * worker's own `status` (or, when it fails or takes more than
 * `WORKER_STATUS_TIMEOUT` seconds, or `requestTimeout` when shorter,
 * `workerStatusError`).
 */
export async function masterStatus(
  registry: WorkerRegistry,
  pollWorkers: boolean,
  requestTimeout: number,
): Promise<MasterStatus> {
  checkStatusSize(registry, pollWorkers);
  const timeout = Math.min(WORKER_STATUS_TIMEOUT, requestTimeout);
  const workers = await Promise.all(registry.workers.map(async (worker) => {
    const info: WorkerInfo = {
      name: worker.name,
      remoteAddr: worker.connection.remoteAddr.hostname,
      remotePort: worker.connection.remoteAddr.port,
      targets: [...worker.targets],
    };
    if (pollWorkers) {
      const status = await workerStatus(worker, timeout);
      if (status.ok) info.workerStatus = status.value;
      else info.workerStatusError = status.error;
    }
    return info;
  }));
  return { workers, memoryUsage: { ...Deno.memoryUsage() } };
}

/** Bytes of `status` per worker beside its targets (a name of 255 characters, address, port). */
const STATUS_BYTES_PER_WORKER = 1200;

/** Bytes of a target in a worker's own `status` beside its name (the counts, the time policy). */
const POLLED_BYTES_PER_TARGET = 250;

/**
 * Refuses a `status` whose answer could not reach the client: over the
 * message limit (16 MiB), which every registered worker's targets (10,000
 * names of 1,024 characters each, at most) pass soon. Counted from what the
 * registry keeps, before anything is built or asked.
 */
function checkStatusSize(registry: WorkerRegistry, pollWorkers: boolean): void {
  let bytes = 0;
  let targets = 0;
  for (const worker of registry.workers) {
    targets += worker.targets.length;
    bytes += STATUS_BYTES_PER_WORKER + worker.targetBytes;
    // A worker's own status names each target again, with its counts.
    if (pollWorkers) bytes += worker.targetBytes + POLLED_BYTES_PER_TARGET * worker.targets.length;
  }
  if (bytes <= DEFAULT_MAX_MESSAGE_BYTES) return;
  throw new RequestError(
    `status${pollWorkers ? " with poll_workers" : ""} cannot be answered: it would take about ` +
      `${Math.ceil(bytes / 1024 / 1024)} MiB (${registry.size} workers, ${targets} targets), ` +
      `over the ${DEFAULT_MAX_MESSAGE_BYTES / 1024 / 1024} MiB a message may have; ask the ` +
      "workers one by one",
  );
}

/** Adds `items` to the group of `worker`. */
function addToGroup<T>(
  groups: Map<RegisteredWorker, T[]>,
  worker: RegisteredWorker,
  items: readonly T[],
): void {
  const group = groups.get(worker);
  if (group) group.push(...items);
  else groups.set(worker, [...items]);
}

/**
 * The least busy worker serving `target` (one that seems hung last, then
 * fewest requests in flight, then fewest picked already in this call, then by
 * name), or undefined.
 */
function leastBusy(
  registry: WorkerRegistry,
  target: string,
  picked: ReadonlyMap<RegisteredWorker, unknown[]>,
): RegisteredWorker | undefined {
  let best: RegisteredWorker | undefined;
  let bestLoad = [Infinity, Infinity, Infinity];
  for (const worker of registry.serving(target)) {
    const load = [
      worker.seemsHung ? 1 : 0,
      worker.requestsInFlight,
      picked.get(worker)?.length ?? 0,
    ];
    const index = load.findIndex((value, i) => value !== bestLoad[i]);
    if (index !== -1 && load[index] < bestLoad[index]) {
      best = worker;
      bestLoad = load;
    }
  }
  return best;
}

/**
 * Groups jobs by the worker that will take them: for each target the least
 * busy worker serving it. Jobs of unserved targets get their error.
 */
function route<T extends TargetedJob>(
  registry: WorkerRegistry,
  jobs: readonly T[],
  errors: Record<string, string>,
): Map<RegisteredWorker, T[]> {
  const byTarget = Map.groupBy(jobs, (job) => job.target);
  const byWorker = new Map<RegisteredWorker, T[]>();
  for (const [target, group] of byTarget) {
    const worker = leastBusy(registry, target, byWorker);
    if (!worker) {
      for (const job of group) errors[job.id] = unservedTargetError(target);
      continue;
    }
    addToGroup(byWorker, worker, group);
  }
  return byWorker;
}

/**
 * `run-manual`: each target's jobs go to the least busy worker serving it,
 * one `run-manual` per worker, with the target named for each id as its
 * `targets` (a row of another target is left as it is, with an error); the
 * answers merge into `{jobs?, errors?}`, each worker's only for the ids it
 * was sent (an id its answer leaves out is an error naming it). A worker that
 * refuses, fails or disconnects turns each of its ids into an error; the
 * other workers' results are kept.
 */
export async function runManual(
  registry: WorkerRegistry,
  jobs: readonly TargetedJob[],
): Promise<RunManualResult> {
  const reports: Record<string, JobOutcome> = {};
  const errors: Record<string, string> = {};
  const byWorker = route(registry, jobs, errors);
  await Promise.all([...byWorker].map(async ([worker, group]) => {
    const ids = [...new Set(group.map((job) => job.id))];
    // An id named twice for this worker keeps the first target named for it.
    const expectedTargets = new Map<number, string>();
    for (const job of group) {
      if (!expectedTargets.has(job.id)) expectedTargets.set(job.id, job.target);
    }
    try {
      const answer: unknown = await worker.client.runManual(ids, { expectedTargets });
      // A worker is a peer: only the ids it was sent are taken from its answer
      // (another worker's result is never overwritten), and each must be there.
      const theirs = isPlainObject(answer) ? answer : {};
      const jobs = isPlainObject(theirs.jobs) ? theirs.jobs : {};
      const failed = isPlainObject(theirs.errors) ? theirs.errors : {};
      for (const id of ids) {
        if (Object.hasOwn(jobs, id)) reports[id] = jobs[id] as JobOutcome;
        else if (typeof failed[id] === "string") errors[id] = failed[id];
        else errors[id] = `worker '${worker.name}' answered nothing about job ${id}`;
      }
    } catch (error) {
      const text = workerFailure(worker, error);
      // A worker that got the request runs the job even when its answer is lost.
      for (const id of ids) {
        errors[id] = error instanceof RemoteError
          ? text
          : `${text}; it may have started job ${id} all the same (see 'show ${id}')`;
      }
    }
  }));
  const result: RunManualResult = {};
  if (Object.keys(reports).length > 0) result.jobs = reports;
  if (Object.keys(errors).length > 0) result.errors = errors;
  return result;
}

/**
 * `send-signal`: a job runs on one of the workers serving its target, and
 * the master does not know which, so every worker serving the target is
 * asked. The answer is flat, `{ID: bool}` — true when some worker delivered
 * the signal — plus `errors: {ID: text}` for jobs of unserved targets and
 * for jobs not delivered while a worker asked failed to answer (within
 * `timeout` seconds). A job runs on one worker: once some worker delivered
 * its signal the others' answers about it are not waited for, so the answer
 * comes when each job is delivered or has every answer.
 */
export async function sendSignal(
  registry: WorkerRegistry,
  signals: readonly TargetedSignal[],
  timeout: number,
): Promise<MasterSendSignalResult> {
  const delivered: Record<string, boolean> = {};
  const errors: Record<string, string> = {};
  const byWorker = new Map<RegisteredWorker, TargetedSignal[]>();
  /** By job id: answers still awaited from the workers asked about it. */
  const awaited = new Map<number, number>();
  const servingByTarget = new Map<string, RegisteredWorker[]>();
  for (const signal of signals) {
    let workers = servingByTarget.get(signal.target);
    if (!workers) {
      workers = registry.serving(signal.target);
      servingByTarget.set(signal.target, workers);
    }
    if (workers.length === 0) errors[signal.id] = unservedTargetError(signal.target);
    for (const worker of workers) addToGroup(byWorker, worker, [signal]);
    awaited.set(signal.id, (awaited.get(signal.id) ?? 0) + workers.length);
  }
  const failures: Record<string, string> = {};
  const { promise: settled, resolve } = Promise.withResolvers<void>();
  const isSettled = (id: number) => awaited.get(id) === 0 || delivered[id] === true;
  /** Ids still waiting for an answer: each answer looks only at its own ids. */
  const unsettled = new Set([...awaited.keys()].filter((id) => !isSettled(id)));
  if (unsettled.size === 0) resolve();
  for (const [worker, group] of byWorker) {
    void (async () => {
      const jobs = Object.fromEntries(group.map((signal) => [signal.id, signal.signal]));
      try {
        const answer: Partial<SendSignalResult> | null = await worker.client.sendSignal(jobs, {
          timeout,
        });
        for (const { id } of group) delivered[id] = delivered[id] === true || answer?.[id] === true;
      } catch (error) {
        const text = workerFailure(worker, error);
        for (const { id } of group) failures[id] ??= text;
      }
      for (const { id } of group) awaited.set(id, awaited.get(id)! - 1);
      for (const { id } of group) if (isSettled(id)) unsettled.delete(id);
      if (unsettled.size === 0) resolve();
    })();
  }
  await settled;
  const result: MasterSendSignalResult = {};
  for (const { id } of signals) {
    if (id in errors) continue;
    if (delivered[id] !== true && id in failures) errors[id] = failures[id];
    else result[id] = delivered[id] === true;
  }
  if (Object.keys(errors).length > 0) result.errors = errors;
  return result;
}
