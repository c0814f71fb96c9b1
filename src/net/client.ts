/**
 * Typed clients of the worker and the master, one method per request. Used by
 * jobctl, by the master to talk to its workers, by tests, and by applications
 * (exported from deno.json).
 */

import type { RequestData } from "../protocol/messages.ts";
import {
  MasterRequest,
  type MasterSendSignalResult,
  type MasterStatus,
  type RunManualResult,
  type SendSignalResult,
  type TargetedJob,
  type TargetedSignal,
  WorkerRequest,
  type WorkerStatus,
} from "../protocol/requests.ts";
import { Connection, type RequestOptions } from "./connection.ts";

/** Anything that can send a request and resolve its response data. */
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

function targetsData(targets?: readonly string[]): RequestData {
  return targets === undefined ? {} : { targets: [...targets] };
}

abstract class BaseClient implements AsyncDisposable {
  constructor(readonly requester: Requester) {}

  /** Sends any request; for request types without a method of their own. */
  request(type: string, data: RequestData = {}, options?: RequestOptions): Promise<unknown> {
    return this.requester.request(type, data, options);
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

/** A client of one worker (`jobd`). */
export class WorkerClient extends BaseClient {
  /** Connects to a worker. Throws `ConnectError` naming the address. */
  static async connect(options: ConnectOptions): Promise<WorkerClient> {
    return new WorkerClient(
      await Connection.connect(options.host, options.port, {
        password: options.password,
        requestTimeout: options.timeout,
      }),
    );
  }

  /** Claims waiting jobs of the given targets (all when omitted). */
  async poll(targets?: readonly string[]): Promise<void> {
    await this.request(WorkerRequest.Poll, targetsData(targets));
  }

  /** Pauses targets (all when omitted): no new background job starts. */
  async pause(targets?: readonly string[]): Promise<void> {
    await this.request(WorkerRequest.Pause, targetsData(targets));
  }

  /** Resumes paused targets (all when omitted) and polls them. */
  async continue(targets?: readonly string[]): Promise<void> {
    await this.request(WorkerRequest.Continue, targetsData(targets));
  }

  /** The worker's targets, waiting run-manual jobs and memory. */
  async status(): Promise<WorkerStatus> {
    return await this.request(WorkerRequest.Status) as WorkerStatus;
  }

  /** Runs `manual` jobs by id and resolves when all have ended. */
  async runManual(ids: readonly number[], options?: RequestOptions): Promise<RunManualResult> {
    return await this.request(
      WorkerRequest.RunManual,
      { ids: [...ids] },
      options,
    ) as RunManualResult;
  }

  /** Sends signals to running jobs: `{id: signal}`. */
  async sendSignal(jobs: Readonly<Record<number, number | string>>): Promise<SendSignalResult> {
    return await this.request(WorkerRequest.SendSignal, { jobs: { ...jobs } }) as SendSignalResult;
  }

  /** Starts serving a target. */
  async addTarget(target: string, concurrency: number): Promise<void> {
    await this.request(WorkerRequest.AddTarget, { target, concurrency });
  }

  /** Stops serving an idle target. */
  async removeTarget(target: string): Promise<void> {
    await this.request(WorkerRequest.RemoveTarget, { target });
  }

  /** Changes a target's concurrency at once. */
  async setTargetConcurrency(target: string, concurrency: number): Promise<void> {
    await this.request(WorkerRequest.SetTargetConcurrency, { target, concurrency });
  }
}

/** A client of the master (`jobd-master`). */
export class MasterClient extends BaseClient {
  /** Connects to the master. Throws `ConnectError` naming the address. */
  static async connect(options: ConnectOptions): Promise<MasterClient> {
    return new MasterClient(
      await Connection.connect(options.host, options.port, {
        password: options.password,
        requestTimeout: options.timeout,
      }),
    );
  }

  /** Asks the workers serving these targets to poll them. */
  async poke(targets: readonly string[]): Promise<void> {
    await this.request(MasterRequest.Poke, { targets: [...targets] });
  }

  /** Pauses targets on every worker serving them (all when omitted). */
  async pause(targets?: readonly string[]): Promise<void> {
    await this.request(MasterRequest.Pause, targetsData(targets));
  }

  /** Resumes targets on every worker serving them (all when omitted). */
  async continue(targets?: readonly string[]): Promise<void> {
    await this.request(MasterRequest.Continue, targetsData(targets));
  }

  /** Registered workers; with `pollWorkers`, each worker's own status too. */
  async status(pollWorkers = false): Promise<MasterStatus> {
    return await this.request(MasterRequest.Status, { poll_workers: pollWorkers }) as MasterStatus;
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
  async sendSignal(jobs: readonly TargetedSignal[]): Promise<MasterSendSignalResult> {
    return await this.request(MasterRequest.SendSignal, {
      jobs: [...jobs],
    }) as MasterSendSignalResult;
  }
}
