/**
 * A running `jobd-master`: the server, the registry of workers, the
 * heartbeat and the poke router, started together and stopped together.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { MASTER_RESTART_ONLY_SETTINGS, type MasterConfig } from "../config/master_config.ts";
import { masterSummary } from "../daemon_summary.ts";
import { Server } from "../net/server.ts";
import { type HttpServer, startHttpServer } from "../http/server.ts";
import { masterHttpRoutes } from "./http.ts";
import { httpListenAddress } from "../config/http_config.ts";
import { masterHandlers, type MasterHandlerSettings } from "./handlers.ts";
import { Heartbeat } from "./heartbeat.ts";
import { PokeRouter } from "./poke.ts";
import { WorkerRegistry } from "./registry.ts";

const log = getLogger(["jobd", "master"]);

/** Settings fixed by the listening server, also applied only on restart. */
const SERVER_SETTINGS = [
  "password",
  "alwaysAllowLocalhost",
] as const satisfies readonly (keyof MasterConfig)[];

/** Every setting a reload keeps at its running value. */
export const MASTER_RELOAD_KEEPS: readonly (keyof MasterConfig)[] = [
  ...MASTER_RESTART_ONLY_SETTINGS,
  ...SERVER_SETTINGS,
];

/** The config file's name of a setting: `alwaysAllowLocalhost` -> `always_allow_localhost`. */
function configKeyName(setting: string): string {
  return setting.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * The master: accepts clients and workers on one port, keeps the registry
 * of workers, pings them, and routes pokes and other requests to them.
 */
export class MasterDaemon implements AsyncDisposable {
  readonly server: Server;
  readonly registry: WorkerRegistry;
  readonly pokes: PokeRouter;
  readonly heartbeat: Heartbeat;
  /** The HTTP server (`http_port`), when there is one. */
  readonly http: HttpServer | undefined;
  #config: MasterConfig;
  #settings: MasterHandlerSettings;
  #stopping: Promise<void> | undefined;

  private constructor(config: MasterConfig) {
    this.#config = config;
    this.registry = new WorkerRegistry();
    this.pokes = new PokeRouter(this.registry, config.pokeThrottleInterval);
    this.pokes.requestTimeout = config.requestTimeout;
    this.#settings = { requestTimeout: config.requestTimeout, password: config.password };
    this.heartbeat = new Heartbeat(this.registry, config.pingInterval);
    const state = { registry: this.registry, pokes: this.pokes, settings: this.#settings };
    this.server = Server.listen({
      hostname: config.host,
      port: config.port,
      handlers: masterHandlers(state),
      requiredPassword: config.password,
      alwaysAllowLocalhost: config.alwaysAllowLocalhost,
      maxConnections: config.maxConnections,
    });
    const httpAddress = httpListenAddress(config);
    try {
      this.http = httpAddress && startHttpServer({
        ...httpAddress,
        routes: masterHttpRoutes(state),
        password: config.password,
        alwaysAllowLocalhost: config.alwaysAllowLocalhost,
      });
    } catch (error) {
      void this.server.close(0);
      throw error;
    }
    this.heartbeat.start();
  }

  /** Starts listening. Throws `ListenError` naming the address when the port is taken. */
  static start(config: MasterConfig): MasterDaemon {
    return new MasterDaemon(config);
  }

  /** The config the daemon runs with. */
  get config(): MasterConfig {
    return this.#config;
  }

  /** The start-up line: version, address, the features on. */
  summary(): string {
    return masterSummary({
      config: this.#config,
      listening: this.server.addr,
      ...(this.http ? { http: { hostname: this.http.hostname, port: this.http.port } } : {}),
    });
  }

  /**
   * Stops: no more pings or polls, the workers' connections close (they
   * reconnect to the next master), requests waiting for a worker are
   * answered with an error, then the server closes. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      log.info("Shutting down");
      this.heartbeat.stop();
      this.pokes.stop();
      this.registry.closeAll();
      await Promise.all([this.server.close(), this.http?.close()]);
      log.info("Stopped");
    })();
    return this.#stopping;
  }

  /** Same as {@linkcode MasterDaemon.shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /**
   * Applies a reloaded config: `ping_interval`, `poke_throttle_interval`
   * and `request_timeout` at once (logging is the entry point's part). Keys that need a restart
   * are reported and keep their running values.
   */
  reload(next: MasterConfig): void {
    const old = this.#config;
    const needRestart = MASTER_RELOAD_KEEPS.filter((key) => old[key] !== next[key]);
    if (needRestart.length > 0) {
      log.warn("Config reload: {keys} changed but need a restart; keeping the running values", {
        keys: needRestart.map(configKeyName).join(", "),
      });
    }
    if (next.pingInterval !== old.pingInterval) this.heartbeat.interval = next.pingInterval;
    if (next.pokeThrottleInterval !== old.pokeThrottleInterval) {
      this.pokes.throttleInterval = next.pokeThrottleInterval;
    }
    if (next.requestTimeout !== old.requestTimeout) {
      this.#settings.requestTimeout = next.requestTimeout;
      this.pokes.requestTimeout = next.requestTimeout;
    }
    const kept = Object.fromEntries(needRestart.map((key) => [key, old[key]]));
    this.#config = { ...next, ...kept };
  }
}
