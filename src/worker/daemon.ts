import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { WORKER_RESTART_ONLY_SETTINGS, type WorkerConfig } from "../config/worker_config.ts";
import { dispatchTo, Server } from "../net/server.ts";
import { type HttpServer, startHttpServer } from "../http/server.ts";
import { databaseProblem, workerHttpRoutes } from "./http.ts";
import { WorkerMetrics } from "./metrics.ts";
import { formatAddress } from "../net/address.ts";
import { httpListenAddress } from "../config/http_config.ts";
import { openJobStore } from "../storage/open.ts";
import type { JobStore } from "../storage/job_store.ts";
import { lockWorkerName, type NameLock } from "../storage/name_lock.ts";
import { ClaimGate } from "./claim_gate.ts";
import { isolateClaimFailures } from "./claim_isolation.ts";
import { parseCommandTemplate } from "./command_template.ts";
import { controlHandlers } from "./control_handlers.ts";
import { workerHandlers } from "./handlers.ts";
import type { LauncherSettings } from "./launcher.ts";
import { ReadBufferPool } from "./output_capture.ts";
import { findGroupStart, NO_SETSID_WARNING } from "./process_group.ts";
import { MasterLink } from "./master_link.ts";
import { recoverLeftBehind } from "./recovery.ts";
import { endLeftoverJobs, tableIdentity, type WorkerIdentity } from "./leftover_jobs.ts";
import { TargetColumnCheck } from "./target_check.ts";
import { TargetReload, type TargetReloadOutcome } from "./target_reload.ts";
import { Worker } from "./worker.ts";
import { policiesOf, timeConfigProblem } from "./time_check.ts";
import { JobBoard } from "../schedule/job_board.ts";
import { storageAddress, workerSummary } from "../daemon_summary.ts";
import { formatLength, Outage } from "../outage.ts";
import { watchDatabase } from "./database_watch.ts";
import { ClockOffset } from "./clock_offset.ts";
import { scheduleHandlers } from "../schedule/handlers.ts";
import { answerStorageErrors } from "./storage_refusals.ts";

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
 * Launcher settings from the config: the template parsed once, here, and
 * `setsid` looked up once (process_group.ts); `identity` names the worker in
 * each job's environment. The pipes' read buffers come
 * from `readBuffers`, which a reload passes on so that the buffers outlive
 * the settings.
 */
export function launcherSettings(
  config: WorkerConfig,
  readBuffers: ReadBufferPool = new ReadBufferPool(),
  identity: WorkerIdentity = workerIdentity(config),
): LauncherSettings {
  const groupStart = findGroupStart();
  if (groupStart === null) log.warn(NO_SETSID_WARNING);
  return {
    argv: parseCommandTemplate(config.launcher),
    cwd: config.launcherCwd,
    env: { ...config.launcherEnv },
    maxOutputBytes: config.maxOutputBuffer,
    readBuffers,
    groupStart,
    identity,
  };
}

/** The worker's name and table, as each job's environment names them. */
function workerIdentity(config: WorkerConfig): WorkerIdentity {
  return { worker: config.name, table: tableIdentity(config.storage) };
}

/** The parts of a running worker that `WorkerDaemon.start` opens. */
interface WorkerParts {
  store: JobStore;
  lock: NameLock;
  targetCheck: TargetColumnCheck;
  worker: Worker;
  targetReload: TargetReload;
  server: Server;
  http: HttpServer | undefined;
  readBuffers: ReadBufferPool;
}

/**
 * A running `jobd`: the store, the lock on its name, the worker, its server
 * and its link to the master, started in that order and stopped in reverse.
 */
export class WorkerDaemon {
  readonly worker: Worker;
  readonly server: Server;
  /** The HTTP server (`http_port`), when there is one. */
  readonly http: HttpServer | undefined;
  #store: JobStore;
  readonly #lock: NameLock;
  readonly #targetCheck: TargetColumnCheck;
  readonly #targetReload: TargetReload;
  #masterLink: MasterLink | undefined;
  #config: WorkerConfig;
  #board: JobBoard | undefined;
  #stopping: Promise<void> | undefined;
  readonly #readBuffers: ReadBufferPool;

  private constructor(config: WorkerConfig, parts: WorkerParts) {
    this.#config = config;
    this.#readBuffers = parts.readBuffers;
    this.#store = parts.store;
    this.#lock = parts.lock;
    this.#targetCheck = parts.targetCheck;
    this.worker = parts.worker;
    this.#targetReload = parts.targetReload;
    this.server = parts.server;
    this.http = parts.http;
  }

  /**
   * Opens the store, takes the lock on the worker's name, starts listening,
   * recovers jobs left behind, polls and registers with the master: a second
   * worker of the same name, or one whose port is taken, stops before it
   * reads or changes any row. Throws (closing what it opened) when any step
   * fails: a bad launcher template, an unreachable database, a name in use,
   * a target name no row can carry, a busy port.
   */
  static async start(config: WorkerConfig): Promise<WorkerDaemon> {
    const readBuffers = new ReadBufferPool();
    const launcher = launcherSettings(config, readBuffers);
    let lock: NameLock | undefined;
    // The database answers again: a name lock lost meanwhile is tried now, not after its backoff.
    const opened = watchDatabase(
      await openJobStore(config),
      storageAddress(config.storage),
      new Outage(),
      () => lock?.retryNow(),
    );
    let server: Server | undefined;
    let http: HttpServer | undefined;
    let store = opened;
    let board: JobBoard | undefined;
    try {
      const problem = timeConfigProblem(config, opened);
      if (problem !== undefined) throw new Error(problem);
      const targetCheck = new TargetColumnCheck(opened.targetColumn, config.storage.table);
      targetCheck.checkConfigured(config.targets.keys());
      // The lock's and the claims' callbacks reach the worker and the gate, made after them.
      let worker: Worker | undefined = undefined;
      let gate: ClaimGate | undefined = undefined;
      const lockOutage = new Outage();
      // Why the lock was last lost, for `/health` while it is not held.
      let lockLostReason: string | undefined;
      // MySQL: the lock's statements read the database's clock, compared with ours.
      const databaseClock = config.storage.kind === "mysql"
        ? new ClockOffset(storageAddress(config.storage))
        : undefined;
      lock = await lockWorkerName(config, {
        onDatabaseClock: (reading) => databaseClock?.observe(reading),
        onLost: (reason) => {
          lockLostReason = reason;
          if (!lockOutage.down()) return;
          log.warn(
            "Lost the lock on the worker name {name} ({reason}): not claiming or starting jobs " +
              "until it is held again",
            { name: config.name, reason },
          );
        },
        onRegained: () => {
          log.warn(
            "Holding the lock on the worker name {name} again after {length}: claiming goes on",
            { name: config.name, length: formatLength(lockOutage.up() ?? 0) },
          );
          if (gate) worker?.poll(gate.takeHeldBack());
        },
      });
      gate = new ClaimGate(lock);
      store = gate.guard(isolateClaimFailures(opened, {
        repoll: (target) => worker?.poll([target]),
        claimInDoubt: (startedAt) => worker?.claimInDoubt(startedAt),
      }));
      const claimsOpen = gate.opened();
      let masterLink: MasterLink | undefined;
      const metrics = new WorkerMetrics();
      worker = new Worker({
        store,
        targets: config.targets,
        fetchLimit: config.fetchLimit,
        launcher,
        pollInterval: config.pollInterval,
        policies: policiesOf(config),
        observer: metrics,
        claimsOpen: () => claimsOpen,
        onTargetsChanged: () => {
          masterLink?.updateTargets();
          board?.targetsChanged();
        },
      });
      // The job board inserts rows; the firing worker claims them and pokes the others.
      board = await JobBoard.open(config, {
        serves: (target) => worker?.targets.has(target) ?? false,
        onInserted: (target) => {
          worker?.poll([target]);
          masterLink?.poke([target]);
        },
      });
      const targetReload = new TargetReload(worker);
      const handlers = answerStorageErrors({
        ...workerHandlers(worker, {
          targetNameProblem: (name) => targetCheck.problem(name),
          onTargetRequest: (name) => targetReload.requested(name),
        }),
        ...scheduleHandlers(() => board),
        ...controlHandlers(store.control, worker),
      });
      server = Server.listen({
        hostname: config.host,
        port: config.port,
        handlers,
        requiredPassword: config.password,
        alwaysAllowLocalhost: config.alwaysAllowLocalhost,
        maxConnections: config.maxConnections,
      });
      const httpAddress = httpListenAddress(config);
      if (httpAddress) {
        // Whether the master link is registered: `jobd_master_connected` and `/health` read it.
        const master = config.masterHost !== undefined && config.masterPort !== undefined
          ? {
            registered: () => masterLink?.registered ?? false,
            lastError: () => masterLink?.lastError,
            address: formatAddress(config.masterHost, config.masterPort),
          }
          : undefined;
        const running = worker;
        const held = lock;
        const nameLock = {
          name: config.name,
          get held() {
            return held.held;
          },
          lostReason: () => lockLostReason,
        };
        metrics.watch({
          worker: running,
          databaseProblem: () => databaseProblem(opened),
          nameLockHeld: () => held.held,
          ...databaseClock ? { databaseClockOffset: () => databaseClock.offsetSeconds } : {},
          ...master ? { masterRegistered: master.registered } : {},
          schedules: () => board?.list(),
        });
        const routes = workerHttpRoutes({
          store: opened,
          metrics,
          nameLock,
          results: { backlog: () => running.resultBacklog() },
          ...master ? { master } : {},
        });
        http = startHttpServer({
          ...httpAddress,
          routes,
          password: config.password,
          alwaysAllowLocalhost: config.alwaysAllowLocalhost,
        });
      }
      // Requests may come from now on; their claims wait at the gate for recovery.
      // Holding the name: what the previous instance left running is ended before its rows move.
      const identity = workerIdentity(config);
      await recoverLeftBehind(
        opened,
        config.recoverRunning,
        policiesOf(config),
        (jobs) => endLeftoverJobs(identity, jobs),
      );
      gate.open();
      const daemon = new WorkerDaemon(config, {
        store,
        lock,
        targetCheck,
        worker,
        targetReload,
        server,
        http,
        readBuffers,
      });
      daemon.#board = board;
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
      return daemon;
    } catch (error) {
      await server?.close(0);
      await http?.close();
      await board?.close();
      await store.close();
      await lock?.release();
      throw error;
    }
  }

  /** The config the daemon runs with. */
  get config(): WorkerConfig {
    return this.#config;
  }

  /** The start-up line: version, address, storage, targets, master, the features on. */
  summary(): string {
    return workerSummary({
      config: this.#config,
      listening: this.server.addr,
      store: this.#store,
      schedules: this.#board?.board?.schedules.length,
      ...(this.http ? { http: { hostname: this.http.hostname, port: this.http.port } } : {}),
    });
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
        this.http?.close(),
        this.#masterLink?.stop(),
        this.#board?.close(),
      ]);
      // Clients' connections stay open until their run-manual answers are out.
      await this.server.close();
      await this.#store.close();
      // Last: until every row is written, no other worker of this name may start.
      await this.#lock.release();
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
   * Applies a reloaded config: the `[targets]` lines the file changed
   * (target_reload.ts; the other targets keep what requests made of them),
   * launcher, fetch limit, poll interval, time keys and job board. Keys that
   * need a restart are reported and keep their running values. Throws,
   * changing nothing, when a new target's name cannot match a row. Says, for
   * the reload's log line, the target changes left over from an earlier
   * reload that it applied and the file's target changes the worker refused.
   */
  reload(next: WorkerConfig): TargetReloadOutcome {
    const old = this.#config;
    // A name no row can carry refuses the whole file, before anything changes.
    this.#targetCheck.checkConfigured(
      [...next.targets.keys()].filter((name) => !this.worker.targets.has(name)),
    );
    const needRestart = [...WORKER_RESTART_ONLY_SETTINGS, ...LINK_SETTINGS]
      .filter((key) => JSON.stringify(old[key]) !== JSON.stringify(next[key]));
    if (needRestart.length > 0) {
      log.warn("Config reload: {keys} changed but need a restart; keeping the running values", {
        keys: needRestart.join(", "),
      });
    }
    // The name and table are the running ones (they need a restart), and so is each job's identity.
    this.worker.launcher = launcherSettings(next, this.#readBuffers, workerIdentity(old));
    this.worker.fetchLimit = next.fetchLimit;
    this.worker.pollInterval = next.pollInterval;
    const timeProblem = timeConfigProblem(next, this.#store);
    if (timeProblem === undefined) {
      this.worker.policies = policiesOf(next);
    } else {
      log.error("Config reload: timeouts and retries unchanged: {problem}", {
        problem: timeProblem,
      });
    }
    const targets = this.#targetReload.apply(old.targets, next.targets);
    this.#board?.reload(next).catch((error) => {
      log.error("Job board reload failed: {error}", { error: messageOf(error) });
    });
    this.#config = { ...next, ...pick(old, needRestart) };
    return targets;
  }
}

function pick<T extends object>(object: T, keys: readonly (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((key) => [key, object[key]])) as Partial<T>;
}
