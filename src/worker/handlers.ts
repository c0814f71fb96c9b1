/**
 * The worker's request handlers: each reads its data with the shared
 * validator (src/protocol/validate.ts), then calls the Worker.
 *
 * @module
 */

import type { Handlers } from "../net/server.ts";
import type { RequestData } from "../protocol/messages.ts";
import { WorkerRequest } from "../protocol/requests.ts";
import {
  readConcurrency,
  readExpectedTargets,
  readJobIds,
  readNewTargetName,
  readOptionalTargets,
  readSignalMap,
  readTargetName,
  servedTarget,
  type TargetNameProblem,
} from "../protocol/validate.ts";
import type { Worker } from "./worker.ts";

/** `targets` of `poll`, `pause`, `continue`: absent means all; each must be served. */
function readTargets(data: RequestData, worker: Worker): string[] | undefined {
  return readOptionalTargets(data, servedTarget(worker.targets));
}

/** What the worker's handlers check beyond the request's own data. */
export interface WorkerHandlerOptions {
  /**
   * Why `add-target` refuses a name: the worker passes its table's check
   * (`target_check.ts`); by default the rules every target name follows.
   */
  targetNameProblem?: TargetNameProblem;
  /**
   * Told the target that `add-target`, `remove-target` or
   * `set-target-concurrency` changed, once it did: a reload's change to it
   * left over is dropped (`target_reload.ts`).
   */
  onTargetRequest?: (target: string) => void;
}

/** The request handlers of the worker (docs/protocol.md, "Worker requests"). */
export function workerHandlers(worker: Worker, options: WorkerHandlerOptions = {}): Handlers {
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
    [WorkerRequest.RunManual]: (data) => {
      const ids = readJobIds(data);
      return worker.runManual(ids, readExpectedTargets(data, ids));
    },
    [WorkerRequest.SendSignal]: (data) => Promise.resolve(worker.sendSignal(readSignalMap(data))),
    [WorkerRequest.AddTarget]: (data) => {
      const target = readNewTargetName(data, options.targetNameProblem);
      worker.addTarget(target, readConcurrency(data));
      options.onTargetRequest?.(target);
      return Promise.resolve("ok");
    },
    [WorkerRequest.RemoveTarget]: (data) => {
      const target = readTargetName(data);
      worker.removeTarget(target);
      options.onTargetRequest?.(target);
      return Promise.resolve("ok");
    },
    [WorkerRequest.SetTargetConcurrency]: (data) => {
      const target = readTargetName(data);
      worker.setConcurrency(target, readConcurrency(data));
      options.onTargetRequest?.(target);
      return Promise.resolve("ok");
    },
  };
}
