/**
 * Reading and checking the data of master requests (SPEC A3, A8). Each
 * function returns typed data or throws a `RequestError` whose text the
 * client sees; the texts clients of the older master match are kept.
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import { MAX_LIST_ITEMS, tooManyItems } from "../protocol/limits.ts";
import type { RequestData } from "../protocol/messages.ts";
import type { TargetedJob } from "../protocol/requests.ts";
import { jsonTypeName } from "../text.ts";

/** What `register-worker` carries. */
export interface WorkerRegistration {
  name: string;
  targets: string[];
}

/** A job signal routed by target; `signal` is a number or a signal name. */
export interface RoutedSignal extends TargetedJob {
  signal: number | string;
}

/** Whether a field is left out: absent, or `null` as some clients send it. */
function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** The value of `field`, which must be there: `missing required field FIELD` when it is absent. */
function required(data: Readonly<Record<string, unknown>>, field: string): unknown {
  const value = data[field];
  if (isAbsent(value)) throw new RequestError(`missing required field ${field}`);
  return value;
}

/** Checks a list of target names: an array of non-empty strings, no duplicates kept. */
function readTargetList(value: unknown, options: { allowEmpty: boolean }): string[] {
  if (!Array.isArray(value)) throw new RequestError("targets must be array");
  if (value.length === 0 && !options.allowEmpty) throw new RequestError("targets are empty");
  if (value.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("targets", value.length));
  for (const target of value) {
    if (typeof target !== "string") {
      throw new RequestError(`all targets must be strings, ${jsonTypeName(target)} given`);
    }
    if (target === "") throw new RequestError("invalid target name ''");
  }
  return [...new Set(value as string[])];
}

/** `register-worker`: a non-empty `name` and a (possibly empty) `targets` array. */
export function readRegistration(data: RequestData): WorkerRegistration {
  if (typeof data.name !== "string" || data.name.trim() === "") {
    throw new RequestError("name is missing or invalid");
  }
  return {
    name: data.name,
    targets: readTargetList(required(data, "targets"), { allowEmpty: true }),
  };
}

/** `poke`: `targets` is required and not empty. */
export function readPokeTargets(data: RequestData): string[] {
  return readTargetList(required(data, "targets"), { allowEmpty: false });
}

/** `pause` / `continue`: `targets` when given (not empty); `undefined` means all. */
export function readOptionalTargets(data: RequestData): string[] | undefined {
  if (isAbsent(data.targets)) return undefined;
  return readTargetList(data.targets, { allowEmpty: false });
}

/** `status`: `poll_workers` as a boolean (`true`/`false`, also `1`/`0`); absent is false. */
export function readPollWorkers(data: RequestData): boolean {
  const value = data.poll_workers;
  if (isAbsent(value) || value === false || value === 0) return false;
  if (value === true || value === 1) return true;
  throw new RequestError(`'poll_workers' must be boolean, ${jsonTypeName(value)} given`);
}

function readJobItems(data: RequestData): Record<string, unknown>[] {
  const jobs = data.jobs;
  if (!Array.isArray(jobs)) throw new RequestError("jobs must be array");
  if (jobs.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("jobs", jobs.length));
  for (const job of jobs) {
    if (typeof job !== "object" || job === null || Array.isArray(job)) {
      throw new RequestError(`every job must be an object, ${jsonTypeName(job)} given`);
    }
  }
  return jobs as Record<string, unknown>[];
}

function readTargetedJob(job: Record<string, unknown>): TargetedJob {
  const id = required(job, "id");
  if (typeof id !== "number" || !Number.isInteger(id)) {
    throw new RequestError("'id' must be integer");
  }
  if (id < 1) throw new RequestError(`'id' must be positive, got ${id}`);
  const target = required(job, "target");
  if (typeof target !== "string" || target === "") {
    throw new RequestError("'target' must be string");
  }
  return { id, target };
}

/** `run-manual`: `jobs` is an array of `{id: int, target: string}`. */
export function readTargetedJobs(data: RequestData): TargetedJob[] {
  return readJobItems(data).map(readTargetedJob);
}

/**
 * `send-signal`: `jobs` is an array of `{id: int, signal, target: string}`;
 * `signal` is an integer or a signal name such as `SIGTERM` or `term`.
 */
export function readTargetedSignals(data: RequestData): RoutedSignal[] {
  return readJobItems(data).map((job) => {
    const routed = readTargetedJob(job);
    const signal = required(job, "signal");
    const isInteger = typeof signal === "number" && Number.isInteger(signal);
    const isName = typeof signal === "string" && /^[A-Za-z][A-Za-z0-9+-]*$/.test(signal);
    if (!isInteger && !isName) throw new RequestError("'signal' must be integer");
    return { ...routed, signal };
  });
}
