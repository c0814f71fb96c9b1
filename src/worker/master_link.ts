import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { healthReason } from "../http/health.ts";
import { Connection, type RequestHandler } from "../net/connection.ts";
import { MasterClient } from "../net/client.ts";
import { formatLength, Outage } from "../outage.ts";
import { jitter } from "../retry_policy.ts";
import { Sleeper } from "./sleeper.ts";

const log = getLogger(["jobd", "worker", "master"]);

/**
 * An error's text as `lastError` keeps it, for `/health`: the master's error
 * text can be as long as its largest message and hold any character.
 */
function reasonOf(error: unknown): string {
  return healthReason(messageOf(error));
}

/** How long `stop()` waits for a connection attempt in progress. */
const STOP_WAIT_MS = 2000;

/** How the worker reaches its master. */
export interface MasterLinkOptions {
  host: string;
  port: number;
  /** Sent with the first request when the master requires a password. */
  password?: string;
  /** The worker's name, as the master lists it. */
  name: string;
  /**
   * Seconds between connection attempts while the master is away (within a
   * quarter either way); also the ping period.
   */
  reconnectInterval: number;
  /** Serves requests that the master sends on this connection. */
  onRequest: RequestHandler;
  /** The targets to register, read at each registration. */
  targets(): string[];
}

/**
 * The worker's persistent connection to the master: connects, registers
 * with the worker's name and targets, serves the master's requests,
 * re-registers when the targets change, and reconnects while the master is
 * away. A master that answers neither of two pings is taken for dead.
 */
export class MasterLink {
  #options: MasterLinkOptions;
  #connection: Connection | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #sleeper = new Sleeper();
  /** Logged once when the master is lost and once when it is back, not once per attempt. */
  readonly #outage = new Outage();
  /** Why the worker is not registered now; undefined while registered or before the first try. */
  #lastError: string | undefined;
  /**
   * Set once the master answered `register-worker` on the current
   * connection; cleared when the connection is lost or a registration fails.
   */
  #registered = false;
  /** The registration that sends changed targets, while one is under way. */
  #updating: Promise<void> | undefined;
  /** Targets changed since the last registration began. */
  #targetsChanged = false;

  constructor(options: MasterLinkOptions) {
    this.#options = options;
  }

  /**
   * Whether the worker is registered with the master now: the master
   * answered `register-worker` and the connection is still up (a connection
   * the master accepted but has not answered on yet does not count).
   */
  get registered(): boolean {
    return this.#registered && this.#connection !== undefined && !this.#connection.isClosed;
  }

  /**
   * Why the last attempt to register failed (`invalid password`, `Cannot
   * connect to …`), is still waiting for the master, or the registration was
   * lost; undefined while registered and before the first attempt ends.
   */
  get lastError(): string | undefined {
    return this.registered ? undefined : this.#lastError;
  }

  /** Starts connecting in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Sends the current targets to the master again: once for the changes made
   * together (a reload's thousands of lines, a burst of `add-target`), one
   * registration at a time, and once more after it when they changed
   * meanwhile. Each registration lists every target: one per change would
   * cost the square of the targets.
   */
  updateTargets(): void {
    this.#targetsChanged = true;
    this.#updating ??= this.#sendTargets();
  }

  async #sendTargets(): Promise<void> {
    try {
      // Changes made in the same turn (a reload's) go in one registration.
      await Promise.resolve();
      while (this.#targetsChanged) {
        this.#targetsChanged = false;
        const connection = this.#connection;
        if (!connection || connection.isClosed) return;
        try {
          await this.#register(connection);
        } catch (error) {
          this.#registrationFailed(connection, error);
          return;
        }
      }
    } finally {
      // Cleared in the same step as the last look at #targetsChanged: cleared
      // later (a `.finally()` on the promise), a change made by a microtask in
      // between would find a registration under way and never be sent.
      this.#updating = undefined;
    }
  }

  /**
   * Asks the master to poke `targets` (rows were inserted for them), when
   * registered; otherwise nothing: the worker has polled itself.
   */
  poke(targets: string[]): void {
    const connection = this.#connection;
    if (connection === undefined || connection.isClosed) return;
    new MasterClient(connection).poke(targets).catch((error) => {
      log.debug("The master did not take a poke: {error}", { error: messageOf(error) });
    });
  }

  /** Disconnects from the master (it forgets this worker) and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connection?.close();
    this.#sleeper.wakeAll();
    // A connect to a host that drops packets can take minutes: do not hold
    // shutdown for it (the loop ends by itself once the attempt fails).
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#loop,
      new Promise((resolve) => timer = setTimeout(resolve, STOP_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  async #run(): Promise<void> {
    const { host, port } = this.#options;
    while (!this.#stopped) {
      try {
        const connection = await Connection.connect(host, port, {
          onRequest: this.#options.onRequest,
          password: this.#options.password,
          requestTimeout: this.#options.reconnectInterval * 2,
        });
        this.#connection = connection;
        this.#registered = false;
        if (this.#stopped) break;
        this.#lastError = "connected; the master has not answered the registration yet";
        await this.#register(connection);
        this.#registered = true;
        this.#lastError = undefined;
        const length = this.#outage.up();
        if (length === undefined) {
          log.info("Registered with the master at {host}:{port}", { host, port });
        } else {
          log.warn("The master at {host}:{port} is reachable again after {length}: registered", {
            host,
            port,
            length: formatLength(length),
          });
        }
        await this.#watch(connection);
        this.#registered = false;
        this.#lastError ??= "the connection to the master closed";
        if (!this.#stopped && this.#outage.down()) {
          log.warn("Lost the connection to the master at {host}:{port}; reconnecting", {
            host,
            port,
          });
        }
      } catch (error) {
        this.#registered = false;
        this.#lastError = reasonOf(error);
        const level = this.#outage.down() ? "warn" : "debug";
        log[level]("Cannot register with the master at {host}:{port}: {error}", {
          host,
          port,
          error: messageOf(error),
        });
        this.#connection?.close();
      }
      // Spread like every retry (retry_policy.ts): workers that lost a
      // restarted master do not all come back at the same moment.
      if (!this.#stopped) await this.#sleeper.sleep(jitter(this.#options.reconnectInterval * 1000));
    }
    this.#connection?.close();
  }

  async #register(connection: Connection): Promise<void> {
    await new MasterClient(connection).registerWorker(this.#options.name, this.#options.targets());
  }

  /**
   * A registration again on a live connection (new targets) failed: the
   * master may no longer count this worker, so the link registers anew on a
   * new connection.
   */
  #registrationFailed(connection: Connection, error: unknown): void {
    if (connection !== this.#connection || connection.isClosed || this.#stopped) return;
    this.#registered = false;
    this.#lastError = reasonOf(error);
    log.warn("The master at {host}:{port} did not take the new targets: {error}; reconnecting", {
      host: this.#options.host,
      port: this.#options.port,
      error: messageOf(error),
    });
    connection.close();
  }

  /**
   * Pings the master until the connection closes or two pings go unanswered
   * (by a pong or a response: the master's own pings do not count).
   */
  async #watch(connection: Connection): Promise<void> {
    const period = this.#options.reconnectInterval * 1000;
    const answers = () => connection.pongsReceived + connection.responsesReceived;
    let lastSeen = answers();
    let silent = 0;
    while (!connection.isClosed && !this.#stopped) {
      connection.ping();
      const closed = await Promise.race([
        connection.closed.then(() => true),
        this.#sleeper.sleep(period).then(() => false),
      ]);
      this.#sleeper.wakeAll();
      if (closed) return;
      if (answers() === lastSeen) silent++;
      else silent = 0;
      lastSeen = answers();
      if (silent >= 2) {
        this.#lastError = "the master answered none of the last two pings";
        if (this.#outage.down()) {
          log.warn(
            "Lost the master at {host}:{port}: it answered none of the last two pings; " +
              "reconnecting",
            { host: this.#options.host, port: this.#options.port },
          );
        }
        connection.close();
      }
    }
  }
}
