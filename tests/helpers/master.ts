/**
 * Starts a real `jobd-master` with a client, and real workers registered
 * with it (tests/helpers/worker.ts), waiting until the master lists them.
 */

import type { MasterClient } from "../../src/net/client.ts";
import type { TestJobsTable } from "./jobs_table.ts";
import {
  freePort,
  iniText,
  masterClient,
  type ProgramProcess,
  startDaemon,
  waitFor,
} from "./processes.ts";
import { startWorker, type StartWorkerOptions, type TestWorker } from "./worker.ts";

/** A master subprocess and a client of it. */
export interface TestMaster extends AsyncDisposable {
  process: ProgramProcess;
  port: number;
  configPath: string;
  client: MasterClient;
}

/** The config text of a test master. */
export function masterConfig(port: number, config: Record<string, string | number> = {}): string {
  return iniText({
    host: "127.0.0.1",
    port,
    ping_interval: 1,
    poke_throttle_interval: 0.2,
    log_level_console: "debug",
    ...config,
  });
}

export async function startMaster(
  options: { port?: number; config?: Record<string, string | number> } = {},
): Promise<TestMaster> {
  const port = options.port ?? freePort();
  const { process, configPath } = await startDaemon(
    "jobd-master",
    masterConfig(port, options.config),
    {
      port,
    },
  );
  const client = await masterClient(port);
  return {
    process,
    port,
    configPath,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await process[Symbol.asyncDispose]();
    },
  };
}

/**
 * Starts a worker (with `poll_interval = 0` it claims only when polled) that
 * registers with the master, and waits until the master lists it; `config`
 * adds keys of its own.
 */
export async function startLinkedWorker(
  db: TestJobsTable,
  master: TestMaster,
  name: string,
  targets: Record<string, number>,
  config: StartWorkerOptions["config"] = {},
): Promise<TestWorker> {
  const worker = await startWorker(db, {
    targets,
    config: {
      name,
      master_host: "127.0.0.1",
      master_port: master.port,
      master_reconnect_timeout: 1,
      poll_interval: 0,
      log_level_console: "debug",
      ...config,
    },
  });
  try {
    await waitFor(`${name} to register`, () => listedTargets(master, name));
    return worker;
  } catch (error) {
    await worker[Symbol.asyncDispose]();
    throw error;
  }
}

/** The targets the master lists for worker `name`, or undefined when it is not listed. */
export async function listedTargets(
  master: TestMaster,
  name: string,
): Promise<string[] | undefined> {
  const status = await master.client.status();
  return status.workers.find((worker) => worker.name === name)?.targets;
}

/** Names of the workers the master lists. */
export async function listedNames(client: MasterClient): Promise<string[]> {
  return (await client.status()).workers.map((worker) => worker.name);
}
