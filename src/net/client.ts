/**
 * Typed clients of the worker and the master, one method per request. Used by
 * jobctl, by the master to talk to its workers, by tests, and by applications
 * (exported from deno.json).
 */

import type { RequestData } from "../protocol/messages.ts";
import {
  MasterRequest,
  type MasterSchedulesResult,
  type MasterSendSignalResult,
  type MasterStatus,
  type RunManualResult,
  type ScheduleRunResult,
  type SchedulesResult,
  type SendSignalResult,
  type TargetedJob,
  type TargetedSignal,
  WorkerRequest,
  type WorkerStatus,
} from "../protocol/requests.ts";
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
  type WaitingStatsResult,
} from "../protocol/control_requests.ts";
import { Connection, type RequestOptions } from "./connection.ts";

export type { RequestOptions };

/** Anything that can send a request and resolve its response data. */
/** Options of the worker's `run-manual`. */
export interface RunManualOptions extends RequestOptions {
  /** The target each of these job ids must have (sent as `targets`); others are left alone. */
  expectedTargets?: ReadonlyMap<number, string>;
}

export interface Requester {
  request(type: string, data?: RequestData, options?: RequestOptions): Promise<unknown>;
}

/** Where to connect and how. */
export interface ConnectOptions {
  host: string;
  port: number;
  password?: string;
  /** Seconds each request waits for its response; absent: no limit. */
  timeout?: number;
}

function connectTo(options: ConnectOptions): Promise<Connection> {
  return Connection.connect(options.host, options.port, {
    password: options.password,
    requestTimeout: options.timeout,
  });
}

function targetsData(targets?: readonly string[]): RequestData {
  return targets === undefined ? {} : { targets: [...targets] };
}

abstract class BaseClient implements AsyncDisposable {
  constructor(readonly requester: Requester) {}

  /** Sends any request; for request types without a method of their own. */
  request(type: string, data: RequestData = {}, options?: RequestOptions): Promise<unknown> {
    return this.requester.request(type, data, options);
  }

  // The operators' requests (`jobs`, `job`, `stats`, `retry`, `add`): the
  // worker runs them on its table, the master routes them to a worker; both
  // take the same data and give the same answers.

  /** `jobs`: rows newest first, by target, status and result (`limit` defaults to 20, at most 1000). */
  async listJobs(query: Partial<JobsQuery> = {}, options?: RequestOptions): Promise<JobsResult> {
    const data: RequestData = {};
    if (query.target !== undefined) data.target = query.target;
    if (query.status !== undefined) data.status = query.status;
    if (query.result !== undefined) data.result = query.result;
    if (query.limit !== undefined) data.limit = query.limit;
    return await this.request(ControlRequest.Jobs, data, options) as JobsResult;
  }

  /** `job`: every column of one row; refused as `job N not found` when there is none. */
  async showJob(id: number, options?: RequestOptions): Promise<JobResult> {
    return await this.request(ControlRequest.Job, { id }, options) as JobResult;
  }

  /** `stats`: per target, unfinished rows by status, done rows by result, oldest waiting age. */
  async jobStats(options?: RequestOptions): Promise<StatsResult> {
    return await this.request(ControlRequest.Stats, {}, options) as StatsResult;
  }

  /**
   * `stats` with `only: "waiting"`: the `waiting` rows of the worker's own
   * targets (an older worker answers the whole `stats`, which holds them too).
   */
  async waitingStats(options?: RequestOptions): Promise<WaitingStatsResult> {
    return await this.request(
      ControlRequest.Stats,
      { only: "waiting" },
      options,
    ) as WaitingStatsResult;
  }

  /** `retry`: final rows back to `waiting`; the others come back in `errors` with the reason. */
  async retryJobs(ids: readonly number[], options?: RequestOptions): Promise<RetryResult> {
    return await this.request(ControlRequest.Retry, { ids: [...ids] }, options) as RetryResult;
  }

  /** `add`: inserts rows of a target (delayed until `runAt` when given); answers their ids. */
  async addJobs(request: AddRequest, options?: RequestOptions): Promise<AddResult> {
    return await this.request(ControlRequest.Add, addRequestData(request), options) as AddResult;
  }

  /** Closes the underlying connection when the client owns one. */
  close(): void {
    if (this.requester instanceof Connection) this.requester.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** A client of one worker (`jobd`). Every method takes per-request `options` last. */
export class WorkerClient extends BaseClient {
  /** Connects to a worker. Throws `ConnectError` naming the address. */
  static async connect(options: ConnectOptions): Promise<WorkerClient> {
    return new WorkerClient(await connectTo(options));
  }

  /** Claims waiting jobs of the given targets (all when omitted). */
  async poll(targets?: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.Poll, targetsData(targets), options);
  }

  /** Pauses targets (all when omitted): no new background job starts. */
  async pause(targets?: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.Pause, targetsData(targets), options);
  }

  /** Resumes paused targets (all when omitted) and polls them. */
  async continue(targets?: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.Continue, targetsData(targets), options);
  }

  /** The worker's targets, waiting run-manual jobs and memory. */
  async status(options?: RequestOptions): Promise<WorkerStatus> {
    return await this.request(WorkerRequest.Status, {}, options) as WorkerStatus;
  }

  /**
   * Runs `manual` jobs by id and resolves when all have ended. With
   * `expectedTargets`, a job whose row is of another target than the one given
   * for it is left as it is, with an error (an older worker ignores it).
   */
  async runManual(ids: readonly number[], options?: RunManualOptions): Promise<RunManualResult> {
    const data: RequestData = { ids: [...ids] };
    if (options?.expectedTargets !== undefined && options.expectedTargets.size > 0) {
      data.targets = Object.fromEntries(options.expectedTargets);
    }
    return await this.request(WorkerRequest.RunManual, data, options) as RunManualResult;
  }

  /** Sends signals to running jobs: `{id: signal}`. */
  async sendSignal(
    jobs: Readonly<Record<number, number | string>>,
    options?: RequestOptions,
  ): Promise<SendSignalResult> {
    return await this.request(
      WorkerRequest.SendSignal,
      { jobs: { ...jobs } },
      options,
    ) as SendSignalResult;
  }

  /** Starts serving a target. */
  async addTarget(target: string, concurrency: number, options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.AddTarget, { target, concurrency }, options);
  }

  /** Stops serving an idle target. */
  async removeTarget(target: string, options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.RemoveTarget, { target }, options);
  }

  /** Changes a target's concurrency at once. */
  async setTargetConcurrency(
    target: string,
    concurrency: number,
    options?: RequestOptions,
  ): Promise<void> {
    await this.request(WorkerRequest.SetTargetConcurrency, { target, concurrency }, options);
  }

  /** The worker's job board: each schedule's rule, runs and state (empty without a board). */
  async schedules(options?: RequestOptions): Promise<SchedulesResult> {
    return await this.request(WorkerRequest.Schedules, {}, options) as SchedulesResult;
  }

  /** Inserts one row for schedule `name` now, outside its rule; resolves with its id. */
  async scheduleRun(name: string, options?: RequestOptions): Promise<ScheduleRunResult> {
    return await this.request(WorkerRequest.ScheduleRun, { name }, options) as ScheduleRunResult;
  }

  /** Pauses schedule `name`: its slots pass unrun (kept across restarts). */
  async schedulePause(name: string, options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.SchedulePause, { name }, options);
  }

  /** Resumes schedule `name` from its next slot. */
  async scheduleResume(name: string, options?: RequestOptions): Promise<void> {
    await this.request(WorkerRequest.ScheduleResume, { name }, options);
  }
}

/** A client of the master (`jobd-master`). Every method takes per-request `options` last. */
export class MasterClient extends BaseClient {
  /** Connects to the master. Throws `ConnectError` naming the address. */
  static async connect(options: ConnectOptions): Promise<MasterClient> {
    return new MasterClient(await connectTo(options));
  }

  /**
   * Registers the worker on this connection under `name`, serving `targets`
   * (sent by workers on their persistent connection to the master).
   */
  async registerWorker(
    name: string,
    targets: readonly string[],
    options?: RequestOptions,
  ): Promise<void> {
    await this.request(MasterRequest.RegisterWorker, { name, targets: [...targets] }, options);
  }

  /** Asks the workers serving these targets to poll them. */
  async poke(targets: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(MasterRequest.Poke, { targets: [...targets] }, options);
  }

  /** Pauses targets on every worker serving them (all when omitted). */
  async pause(targets?: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(MasterRequest.Pause, targetsData(targets), options);
  }

  /** Resumes targets on every worker serving them (all when omitted). */
  async continue(targets?: readonly string[], options?: RequestOptions): Promise<void> {
    await this.request(MasterRequest.Continue, targetsData(targets), options);
  }

  /** Registered workers; with `pollWorkers`, each worker's own status too. */
  async status(pollWorkers = false, options?: RequestOptions): Promise<MasterStatus> {
    return await this.request(
      MasterRequest.Status,
      { poll_workers: pollWorkers },
      options,
    ) as MasterStatus;
  }

  /** Runs manual jobs on the workers serving their targets. */
  async runManual(
    jobs: readonly TargetedJob[],
    options?: RequestOptions,
  ): Promise<RunManualResult> {
    return await this.request(
      MasterRequest.RunManual,
      { jobs: [...jobs] },
      options,
    ) as RunManualResult;
  }

  /** Sends signals to running jobs through the workers serving their targets. */
  async sendSignal(
    jobs: readonly TargetedSignal[],
    options?: RequestOptions,
  ): Promise<MasterSendSignalResult> {
    return await this.request(
      MasterRequest.SendSignal,
      { jobs: [...jobs] },
      options,
    ) as MasterSendSignalResult;
  }

  /** Every worker's job board, merged by schedule name; `errors` names the workers that failed. */
  async schedules(options?: RequestOptions): Promise<MasterSchedulesResult> {
    return await this.request(MasterRequest.Schedules, {}, options) as MasterSchedulesResult;
  }

  /** Runs schedule `name` once now, on a worker whose board has it and serves its target. */
  async scheduleRun(name: string, options?: RequestOptions): Promise<ScheduleRunResult> {
    return await this.request(MasterRequest.ScheduleRun, { name }, options) as ScheduleRunResult;
  }

  /** Pauses schedule `name` through a worker whose board has it and serves its target. */
  async schedulePause(name: string, options?: RequestOptions): Promise<void> {
    await this.request(MasterRequest.SchedulePause, { name }, options);
  }

  /** Resumes schedule `name` through a worker whose board has it and serves its target. */
  async scheduleResume(name: string, options?: RequestOptions): Promise<void> {
    await this.request(MasterRequest.ScheduleResume, { name }, options);
  }
}
