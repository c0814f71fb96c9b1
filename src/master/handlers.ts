/**
 * The master's request handlers (docs/protocol.md, "Master requests"): each
 * reads its data, then registers, pokes or fans out. Every request gets an
 * answer, `"ok"` when there is nothing else to say; no answer is a boolean
 * (docs/protocol.md, "Messages").
 *
 * @module
 */

import type { Handlers } from "../net/server.ts";
import { MasterRequest, WorkerRequest } from "../protocol/requests.ts";
import { controlRouting } from "./control_routing.ts";
import { forwardToServing, masterStatus, runManual, sendSignal } from "./fan_out.ts";
import type { PokeRouter } from "./poke.ts";
import type { WorkerRegistry } from "./registry.ts";
import {
  readOptionalTargets,
  readPokeTargets,
  readPollWorkers,
  readRegistration,
  readTargetedJobs,
  readTargetedSignals,
} from "../protocol/validate.ts";

/** What the handlers work on. */
export interface MasterState {
  registry: WorkerRegistry;
  pokes: PokeRouter;
}

/** The request handlers of the master. */
export function masterHandlers({ registry, pokes }: MasterState): Handlers {
  return {
    [MasterRequest.RegisterWorker]: (data, connection) => {
      const { name, targets } = readRegistration(data);
      registry.register(connection, name, targets);
      return Promise.resolve("ok");
    },
    [MasterRequest.Poke]: (data) => {
      pokes.poke(readPokeTargets(data));
      return Promise.resolve("ok");
    },
    [MasterRequest.Pause]: (data) =>
      forwardToServing(registry, WorkerRequest.Pause, readOptionalTargets(data)),
    [MasterRequest.Continue]: (data) =>
      forwardToServing(registry, WorkerRequest.Continue, readOptionalTargets(data)),
    [MasterRequest.Status]: (data) => masterStatus(registry, readPollWorkers(data)),
    [MasterRequest.RunManual]: (data) => runManual(registry, readTargetedJobs(data)),
    [MasterRequest.SendSignal]: (data) => sendSignal(registry, readTargetedSignals(data)),
    ...controlRouting({ registry, pokes }),
  };
}
