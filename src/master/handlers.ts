/**
 * The master's request handlers (docs/protocol.md, "Master requests"): each
 * reads its data, then registers, pokes or fans out. Every request gets an
 * answer, `"ok"` when there is nothing else to say; no answer is a boolean
 * (docs/protocol.md, "Messages").
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import { MasterRequest, WorkerRequest } from "../protocol/requests.ts";
import { controlRouting } from "./control_routing.ts";
import { forwardToServing, masterStatus, runManual, sendSignal } from "./fan_out.ts";
import type { PokeRouter } from "./poke.ts";
import { masterScheduleHandlers } from "./schedules.ts";
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
  /** Settings read at each request (a reload changes them). */
  settings: MasterHandlerSettings;
}

/** The settings of the handlers that a config reload may change. */
export interface MasterHandlerSettings {
  /** `request_timeout`: seconds to wait for a worker's answer to a forwarded request. */
  requestTimeout: number;
  /** The master's `password`: `register-worker` needs a peer that gave it. */
  password: string | undefined;
}

/** The request handlers of the master. */
export function masterHandlers({ registry, pokes, settings }: MasterState): Handlers {
  return {
    [MasterRequest.RegisterWorker]: async (data, connection) => {
      // Loopback peers let in by always_allow_localhost are clients, not workers.
      if (settings.password !== undefined && !connection.passwordChecked) {
        throw new RequestError(
          "register-worker needs the master's password: set the worker's 'password' to it",
        );
      }
      const { name, targets } = readRegistration(data);
      await registry.register(connection, name, targets);
      return "ok";
    },
    [MasterRequest.Poke]: (data) => {
      pokes.poke(readPokeTargets(data));
      return Promise.resolve("ok");
    },
    [MasterRequest.Pause]: (data) =>
      forwardToServing(
        registry,
        WorkerRequest.Pause,
        readOptionalTargets(data),
        settings.requestTimeout,
      ),
    [MasterRequest.Continue]: (data) =>
      forwardToServing(
        registry,
        WorkerRequest.Continue,
        readOptionalTargets(data),
        settings.requestTimeout,
      ),
    [MasterRequest.Status]: (data) =>
      masterStatus(registry, readPollWorkers(data), settings.requestTimeout),
    [MasterRequest.RunManual]: (data) => runManual(registry, readTargetedJobs(data)),
    [MasterRequest.SendSignal]: (data) =>
      sendSignal(registry, readTargetedSignals(data), settings.requestTimeout),
    ...controlRouting({ registry, pokes, settings }),
    ...masterScheduleHandlers(registry, settings),
  };
}
