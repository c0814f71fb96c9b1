import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import { MAX_LIST_ITEMS, tooManyItems } from "../protocol/limits.ts";
import type { RequestData } from "../protocol/messages.ts";
import { WorkerRequest } from "../protocol/requests.ts";
import { jsonTypeName } from "../text.ts";
import type { Worker } from "./worker.ts";

/**
 * Reads `targets` of a request: absent means every served target; otherwise
 * a non-empty array of names the worker serves (SPEC A2 error texts).
 */
function readTargets(data: RequestData, worker: Worker): string[] | undefined {
  const targets = data.targets;
  if (targets === undefined || targets === null) return undefined;
  if (!Array.isArray(targets)) throw new RequestError("targets must be array");
  if (targets.length === 0) throw new RequestError("targets are empty");
  if (targets.length > MAX_LIST_ITEMS) {
    throw new RequestError(tooManyItems("targets", targets.length));
  }
  for (const target of targets) {
    if (typeof target !== "string") {
      throw new RequestError(`all targets must be strings, ${jsonTypeName(target)} given`);
    }
    if (!worker.targets.has(target)) throw new RequestError(`invalid target '${target}'`);
  }
  return targets;
}

/** Reads the `target` field: a valid target name (not empty, not `null`). */
export function readTargetName(data: RequestData): string {
  if (data.target === undefined) throw new RequestError("missing required field target");
  if (typeof data.target !== "string") throw new RequestError("'target' must be string");
  if (data.target === "" || data.target === "null") {
    throw new RequestError(`invalid target name '${data.target}'`);
  }
  return data.target;
}

function readConcurrency(data: RequestData): number {
  const value = data.concurrency;
  if (value === undefined) throw new RequestError("missing required field concurrency");
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new RequestError("'concurrency' must be integer");
  }
  if (value < 1) throw new RequestError(`'concurrency' must be at least 1, got ${value}`);
  return value;
}

function readIds(data: RequestData): number[] {
  const ids = data.ids;
  if (ids === undefined || ids === null) throw new RequestError("missing required field ids");
  if (!Array.isArray(ids)) throw new RequestError("ids must be array");
  if (ids.length === 0) throw new RequestError("ids are empty");
  if (ids.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("ids", ids.length));
  for (const id of ids) {
    if (typeof id !== "number") {
      throw new RequestError(`all ids must be numbers, got ${jsonTypeName(id)}`);
    }
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new RequestError(`all ids must be positive integers, got ${id}`);
    }
  }
  return ids;
}

function readSignals(data: RequestData): Record<string, unknown> {
  const jobs = data.jobs;
  if (jobs === undefined || jobs === null) return {};
  if (typeof jobs !== "object" || Array.isArray(jobs)) {
    throw new RequestError("jobs must be an object of job id to signal");
  }
  const count = Object.keys(jobs).length;
  if (count > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("jobs", count));
  return jobs as Record<string, unknown>;
}

/** The request handlers of the worker (SPEC A2). */
export function workerHandlers(worker: Worker): Handlers {
  return {
    [WorkerRequest.Poll]: (data) => {
      worker.poll(readTargets(data, worker));
      return Promise.resolve("ok");
    },
    [WorkerRequest.Pause]: (data) => {
      worker.pause(readTargets(data, worker));
      return Promise.resolve("ok");
    },
    [WorkerRequest.Continue]: (data) => {
      worker.resume(readTargets(data, worker));
      return Promise.resolve("ok");
    },
    [WorkerRequest.Status]: () => Promise.resolve(worker.status()),
    [WorkerRequest.RunManual]: (data) => worker.runManual(readIds(data)),
    [WorkerRequest.SendSignal]: (data) => Promise.resolve(worker.sendSignal(readSignals(data))),
    [WorkerRequest.AddTarget]: (data) => {
      worker.addTarget(readTargetName(data), readConcurrency(data));
      return Promise.resolve("ok");
    },
    [WorkerRequest.RemoveTarget]: (data) => {
      worker.removeTarget(readTargetName(data));
      return Promise.resolve("ok");
    },
    [WorkerRequest.SetTargetConcurrency]: (data) => {
      const target = readTargetName(data);
      worker.setConcurrency(target, readConcurrency(data));
      return Promise.resolve("ok");
    },
  };
}
