/**
 * The master in this process, with scripted workers: real connections that
 * register like a worker and answer the master's requests as each test
 * says (src/master/*_test.ts). tests/helpers/master.ts starts a real
 * `jobd-master` instead.
 */

import assert from "node:assert/strict";
import type { MasterConfig } from "../../src/config/master_config.ts";
import { MasterClient } from "../../src/net/client.ts";
import { Connection } from "../../src/net/connection.ts";
import { RemoteError } from "../../src/net/errors.ts";
import type { RequestData } from "../../src/protocol/messages.ts";
import { MasterDaemon } from "../../src/master/daemon.ts";

/** A master config for tests: loopback, a free port, quiet logs; `overrides` on top. */
export function masterConfig(overrides: Partial<MasterConfig> = {}): MasterConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    password: undefined,
    alwaysAllowLocalhost: false,
    pingInterval: 30,
    pokeThrottleInterval: 0.2,
    maxConnections: 1000,
    requestTimeout: 30,
    logLevelFile: "warn",
    logLevelConsole: "warn",
    logFormat: "text",
    ...overrides,
  };
}

/** How a scripted worker answers one request type. */
export type Answer = (data: RequestData) => unknown;

/** What a scripted worker answers when its test says nothing else. */
export const DEFAULT_ANSWERS: Record<string, Answer> = {
  "poll": () => "ok",
  "pause": () => "ok",
  "continue": () => "ok",
  "status": () => ({ targets: {}, jobPromisesCount: 0, memoryUsage: {} }),
  "run-manual": (data) => ({
    jobs: Object.fromEntries(
      (data.ids as number[]).map((id) => [id, {
        result: "ok",
        code: 0,
        signal: null,
        stdout: `job ${id}\n`,
        stderr: "",
      }]),
    ),
  }),
  "send-signal": (data) =>
    Object.fromEntries(Object.keys(data.jobs as object).map((id) => [id, false])),
};

/** A stand-in worker: registers on its own connection and records what the master asks. */
export class ScriptedWorker implements AsyncDisposable {
  readonly received: { type: string; data: RequestData }[] = [];
  answers: Record<string, Answer>;
  connection!: Connection;
  /** The worker's own port: the master lists it as `remotePort`. */
  localPort = 0;

  private constructor(answers: Record<string, Answer>) {
    this.answers = { ...DEFAULT_ANSWERS, ...answers };
  }

  static async register(
    daemon: MasterDaemon,
    name: string,
    targets: string[],
    answers: Record<string, Answer> = {},
    options: { password?: string; hostname?: string } = {},
  ): Promise<ScriptedWorker> {
    const worker = new ScriptedWorker(answers);
    const conn = await Deno.connect({
      hostname: options.hostname ?? "127.0.0.1",
      port: daemon.server.addr.port,
    });
    worker.localPort = conn.localAddr.port;
    worker.connection = new Connection(conn, {
      password: options.password,
      onRequest: async (request) => {
        worker.received.push({ type: request.type, data: request.data });
        return await worker.answers[request.type](request.data);
      },
    });
    try {
      await worker.connection.request("register-worker", { name, targets });
    } catch (error) {
      worker.connection.close();
      throw error;
    }
    return worker;
  }

  /** The data of the requests of one type, in order. */
  requests(type: string): RequestData[] {
    return this.received.filter((request) => request.type === type).map((request) => request.data);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.connection.close();
    await this.connection.closed;
  }
}

/** A master in this process on a free port, with a client; shut down on dispose. */
export async function startMasterDaemon(overrides: Partial<MasterConfig> = {}) {
  const daemon = MasterDaemon.start(masterConfig(overrides));
  const client = new MasterClient(
    await Connection.connect("127.0.0.1", daemon.server.addr.port),
  );
  return {
    daemon,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await daemon.shutdown();
    },
  };
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 5 ms until it holds; fails after `ms`. */
export async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

/** Fails unless `promise` rejects with an error response of exactly `text`. */
export async function rejectsWith(promise: Promise<unknown>, text: string): Promise<void> {
  await assert.rejects(promise, (error) => error instanceof RemoteError && error.message === text);
}
