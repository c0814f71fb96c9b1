import { getLogger } from "@logtape/logtape";
import { WORKER_RESTART_ONLY_SETTINGS, type WorkerConfig } from "../config/worker_config.ts";
import { dispatchTo, Server } from "../net/server.ts";
import { openJobStore } from "../storage/open.ts";
import type { JobStore } from "../storage/job_store.ts";
import { parseCommandTemplate } from "./command_template.ts";
import { controlHandlers } from "./control_handlers.ts";
import { workerHandlers } from "./handlers.ts";
import type { LauncherSettings } from "./launcher.ts";
import { ReadBufferPool } from "./output_capture.ts";
import { MasterLink } from "./master_link.ts";
import { recoverLeftBehind } from "./recovery.ts";
import { Worker } from "./worker.ts";

const log = getLogger(["jobd", "worker"]);

/** Settings fixed by the listening server and the master link, also applied only on restart. */
const LINK_SETTINGS = [
  "password",
  "alwaysAllowLocalhost",
  "masterHost",
  "masterPort",
  "masterReconnectTimeout",
] as const satisfies readonly (keyof WorkerConfig)[];

/**
 * Launcher settings from the config: the template parsed once, here. The
 * pipes' read buffers come from `readBuffers`, which a reload passes on so
 * that the buffers outlive the settings.
 */
export function launcherSettings(
  config: WorkerConfig,
  readBuffers: ReadBufferPool = new ReadBufferPool(),
): LauncherSettings {
  return {
    argv: parseCommandTemplate(config.launcher),
    cwd: config.launcherCwd,
    env: { ...config.launcherEnv },
    maxOutputBytes: config.maxOutputBuffer,
    readBuffers,
  };
}

/**
 * A running `jobd`: the store, the worker, its server and its link to the
 * master, started in that order and stopped in reverse.
 */
export class WorkerDaemon {
  readonly worker: Worker;
  readonly server: Server;
  #store: JobStore;
  #masterLink: MasterLink | undefined;
  #config: WorkerConfig;
  #stopping: Promise<void> | undefined;
  readonly #readBuffers: ReadBufferPool;

  private constructor(
    config: WorkerConfig,
    store: JobStore,
    worker: Worker,
    server: Server,
    readBuffers: ReadBufferPool,
  ) {
    this.#config = config;
    this.#readBuffers = readBuffers;
    this.#store = store;
    this.worker = worker;
    this.server = server;
  }

  /**
   * Opens the store, recovers jobs left behind, starts listening, polls and
   * registers with the master. Throws (closing what it opened) when any step
   * fails: a bad launcher template, an unreachable database, a busy port.
   */
  static async start(config: WorkerConfig): Promise<WorkerDaemon> {
    const readBuffers = new ReadBufferPool();
    const launcher = launcherSettings(config, readBuffers);
    const store = await openJobStore(config);
    let server: Server | undefined;
    try {
      await recoverLeftBehind(store, config.recoverRunning);
      let masterLink: MasterLink | undefined;
      const worker = new Worker({
        store,
        targets: config.targets,
        fetchLimit: config.fetchLimit,
        launcher,
        pollInterval: config.pollInterval,
        onTargetsChanged: () => masterLink?.updateTargets(),
      });
      const handlers = { ...workerHandlers(worker), ...controlHandlers(store.control, worker) };
      server = Server.listen({
        hostname: config.host,
        port: config.port,
        handlers,
        requiredPassword: config.password,
        alwaysAllowLocalhost: config.alwaysAllowLocalhost,
      });
      const daemon = new WorkerDaemon(config, store, worker, server, readBuffers);
      if (config.masterHost !== undefined && config.masterPort !== undefined) {
        masterLink = new MasterLink({
          host: config.masterHost,
          port: config.masterPort,
          name: config.name,
          password: config.password,
          reconnectInterval: config.masterReconnectTimeout,
          onRequest: dispatchTo(handlers),
          targets: () => worker.targetNames,
        });
        daemon.#masterLink = masterLink;
        masterLink.start();
      }
      worker.start();
      log.info("jobd {name} listening on {host}:{port}, serving {targets}", {
        name: config.name,
        host: server.addr.hostname,
        port: server.addr.port,
        targets: worker.targetNames.join(", ") || "no targets",
      });
      return daemon;
    } catch (error) {
      await server?.close(0);
      await store.close();
      throw error;
    }
  }

  /** The config the daemon runs with. */
  get config(): WorkerConfig {
    return this.#config;
  }

  /**
   * Graceful shutdown: stop listening and claiming, leave the master, let
   * running jobs finish for up to `shutdown_timeout` seconds (then kill
   * them), store every result, answer the run-manual requests still
   * waiting, close the connections and the store. Called again, it returns
   * the same shutdown; `hurry()` cuts it short.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      log.info("Shutting down");
      await Promise.all([
        this.worker.shutdown(this.#config.shutdownTimeout),
        this.server.stopListening(),
        this.#masterLink?.stop(),
      ]);
      // Clients' connections stay open until their run-manual answers are out.
      await this.server.close();
      await this.#store.close();
      log.info("Stopped");
    })();
    return this.#stopping;
  }

  /**
   * Cuts a shutdown in progress short (a second SIGTERM): running jobs get
   * SIGTERM at once, then SIGKILL after the grace period, and a failed
   * database write is no longer retried (its row is left to start-up
   * recovery). Does nothing before `shutdown()`.
   */
  hurry(): void {
    this.worker.hurry();
  }

  /**
   * Applies a reloaded config: targets added, resized and removed (once
   * idle), launcher and fetch limit. Keys that need a restart are reported
   * and keep their running values.
   */
  reload(next: WorkerConfig): void {
    const old = this.#config;
    const needRestart = [...WORKER_RESTART_ONLY_SETTINGS, ...LINK_SETTINGS]
      .filter((key) => JSON.stringify(old[key]) !== JSON.stringify(next[key]));
    if (needRestart.length > 0) {
      log.warn("Config reload: {keys} changed but need a restart; keeping the running values", {
        keys: needRestart.join(", "),
      });
    }
    this.worker.launcher = launcherSettings(next, this.#readBuffers);
    this.worker.fetchLimit = next.fetchLimit;
    this.worker.pollInterval = next.pollInterval;
    for (const [name, concurrency] of next.targets) {
      const target = this.worker.targets.get(name);
      if (!target) this.worker.addTarget(name, concurrency);
      else if (target.concurrency !== concurrency) this.worker.setConcurrency(name, concurrency);
    }
    for (const name of this.worker.targetNames) {
      if (next.targets.has(name)) continue;
      try {
        this.worker.removeTarget(name);
      } catch (error) {
        log.warn("Config reload: target {name} not removed: {error}", {
          name,
          error: String(error),
        });
      }
    }
    this.#config = { ...next, ...pick(old, needRestart) };
    log.info("Config reloaded");
  }
}

function pick<T extends object>(object: T, keys: readonly (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((key) => [key, object[key]])) as Partial<T>;
}
