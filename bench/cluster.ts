/**
 * A master and its workers for one phase of the benchmark, with clients:
 * configs written from the keys every implementation reads (README.md, "Configuration"),
 * programs started from the command templates.
 *
 * @module
 */

import { MasterClient, WorkerClient } from "../src/net/client.ts";
import type { RunManualResult, WorkerStatus } from "../src/protocol/requests.ts";
import { freePort, iniText } from "../scripts/daemon_process.ts";
import { BenchDaemon } from "./daemons.ts";
import { type BenchDatabase, TABLE } from "./database.ts";

/** What to start. */
export interface ClusterOptions {
  /** Folder for configs and logs. */
  dir: string;
  /** Prefix of the daemons' names and files. */
  name: string;
  db: BenchDatabase;
  workerCmd: string;
  /** Undefined: no master; pokes go to the workers as `poll`. */
  masterCmd: string | undefined;
  workers: number;
  /** Target name -> concurrency, the same on every worker. */
  targets: Record<string, number>;
  launcher: string;
  fetchLimit: number;
  pokeThrottle: number;
}

/** Seconds a request may wait for its response before the benchmark gives up. */
const REQUEST_TIMEOUT = 120;

/** The config of a worker. */
export function workerConfig(
  options: ClusterOptions,
  port: number,
  name: string,
  master: BenchDaemon | undefined,
): string {
  const { db } = options;
  return iniText({
    host: "127.0.0.1",
    port,
    name,
    master_host: master ? "127.0.0.1" : undefined,
    master_port: master?.port,
    mysql_host: db.address.host,
    mysql_port: db.address.port,
    mysql_user: db.address.user,
    mysql_password: db.address.password,
    mysql_database: db.database,
    mysql_table: TABLE,
    mysql_fetch_limit: options.fetchLimit,
    launcher: options.launcher,
    poll_interval: 0,
    log_level_console: "warn",
  }, { targets: options.targets });
}

/** The config of the master. */
export function masterConfig(options: ClusterOptions, port: number): string {
  return iniText({
    host: "127.0.0.1",
    port,
    ping_interval: 30,
    poke_throttle_interval: options.pokeThrottle,
    log_level_console: "warn",
  });
}

/** Running daemons and their clients. */
export class Cluster implements AsyncDisposable {
  readonly master: BenchDaemon | undefined;
  readonly workers: BenchDaemon[];
  readonly #masterClient: MasterClient | undefined;
  readonly #workerClients: WorkerClient[];

  private constructor(
    master: BenchDaemon | undefined,
    workers: BenchDaemon[],
    masterClient: MasterClient | undefined,
    workerClients: WorkerClient[],
  ) {
    this.master = master;
    this.workers = workers;
    this.#masterClient = masterClient;
    this.#workerClients = workerClients;
  }

  /**
   * Starts the master (if any), then the workers, connects clients and waits
   * until every worker has registered with the master.
   */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const started: BenchDaemon[] = [];
    const clients: (MasterClient | WorkerClient)[] = [];
    try {
      let master: BenchDaemon | undefined;
      let masterClient: MasterClient | undefined;
      if (options.masterCmd !== undefined) {
        const port = freePort();
        master = await BenchDaemon.start(`${options.name}-master`, {
          template: options.masterCmd,
          config: masterConfig(options, port),
          dir: options.dir,
          port,
        });
        started.push(master);
        masterClient = await MasterClient.connect({
          host: "127.0.0.1",
          port,
          timeout: REQUEST_TIMEOUT,
        });
        clients.push(masterClient);
      }
      const workers = await Promise.all(
        Array.from({ length: options.workers }, async (_, index) => {
          const port = freePort();
          const name = `${options.name}-worker-${index + 1}`;
          const worker = await BenchDaemon.start(name, {
            template: options.workerCmd,
            config: workerConfig(options, port, name, master),
            dir: options.dir,
            port,
          });
          started.push(worker);
          return worker;
        }),
      );
      const workerClients = await Promise.all(workers.map(async (worker) => {
        const client = await WorkerClient.connect({
          host: "127.0.0.1",
          port: worker.port,
          timeout: REQUEST_TIMEOUT,
        });
        clients.push(client);
        return client;
      }));
      const cluster = new Cluster(master, workers, masterClient, workerClients);
      await cluster.#waitForRegistration(30_000);
      return cluster;
    } catch (error) {
      for (const client of clients) client.close();
      await Promise.all(started.map((daemon) => daemon.stop()));
      throw error;
    }
  }

  /** Asks for the targets to be polled: a master `poke`, or a `poll` to every worker. */
  async poke(targets: readonly string[]): Promise<void> {
    if (this.#masterClient) await this.#masterClient.poke(targets);
    else await Promise.all(this.#workerClients.map((client) => client.poll(targets)));
  }

  /** Runs one manual job through the master (or the first worker when there is none). */
  runManual(id: number, target: string): Promise<RunManualResult> {
    return this.#masterClient
      ? this.#masterClient.runManual([{ id, target }])
      : this.runManualOnWorker(id);
  }

  /** Runs one manual job on the first worker directly. */
  runManualOnWorker(id: number): Promise<RunManualResult> {
    return this.#workerClients[0].runManual([id]);
  }

  /** The `status` of worker `index` (0-based), asked directly. */
  workerStatus(index: number): Promise<WorkerStatus> {
    return this.#workerClients[index].status();
  }

  /** Throws naming the daemon, with its log's end, if any has exited. */
  async assertRunning(): Promise<void> {
    for (const daemon of [...(this.master ? [this.master] : []), ...this.workers]) {
      await daemon.assertRunning();
    }
  }

  /** Closes the clients and stops the workers, then the master. */
  async stop(): Promise<void> {
    this.#masterClient?.close();
    for (const client of this.#workerClients) client.close();
    await Promise.all(this.workers.map((worker) => worker.stop()));
    await this.master?.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #waitForRegistration(timeoutMs: number): Promise<void> {
    if (!this.#masterClient) return;
    const deadline = Date.now() + timeoutMs;
    let registered = 0;
    while (Date.now() < deadline) {
      await this.assertRunning();
      registered = (await this.#masterClient.status()).workers.length;
      if (registered >= this.workers.length) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `Only ${registered} of ${this.workers.length} worker(s) registered with the master ` +
        `within ${timeoutMs / 1000} s; see the logs in ${this.workers[0].logPath}`,
    );
  }
}
