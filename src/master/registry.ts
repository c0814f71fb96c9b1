/**
 * The workers registered with the master: one entry per worker connection,
 * named and listing the targets the worker serves.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { WorkerClient } from "../net/client.ts";
import type { Connection } from "../net/connection.ts";
import { isSameHost } from "../net/address.ts";
import { RequestError } from "../net/errors.ts";
import { PasswordRefusals } from "../net/password_refusals.ts";

const log = getLogger(["jobd", "master", "registry"]);

const encoder = new TextEncoder();

/** Bytes of `value` as JSON in UTF-8. */
function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** A worker registered on one connection. */
export class RegisteredWorker {
  /** The persistent connection the worker registered on. */
  readonly connection: Connection;
  /** Requests to the worker, over `connection`. */
  readonly client: WorkerClient;
  #name: string;
  #targets: readonly string[];
  #served: ReadonlySet<string>;
  #targetBytes = 0;
  #lastPing: { silent: number; pongs: number; responses: number } | undefined;
  /** Request types the worker answered (true) or refused as unknown (false), on this connection. */
  readonly #knows = new Map<string, boolean>();

  constructor(connection: Connection, name: string, targets: readonly string[]) {
    this.connection = connection;
    this.client = new WorkerClient(connection);
    this.#name = name;
    this.#targets = [...targets];
    this.#served = new Set(targets);
    this.#targetBytes = jsonBytes(targets);
  }

  /** Bytes of the worker's targets as a JSON list in UTF-8 (what `status` answers of them). */
  get targetBytes(): number {
    return this.#targetBytes;
  }

  /** The name the worker registered with. */
  get name(): string {
    return this.#name;
  }

  /** The targets the worker serves, in the order it gave them. */
  get targets(): readonly string[] {
    return this.#targets;
  }

  /** Whether the worker serves `target`. */
  serves(target: string): boolean {
    return this.#served.has(target);
  }

  /** The worker's targets that are in `targets`, in the worker's order. */
  servedOf(targets: Iterable<string>): string[] {
    const wanted = new Set(targets);
    return this.#targets.filter((target) => wanted.has(target));
  }

  /**
   * Whether the worker knows request `type`: true once it answered one, false
   * once it refused one as unknown (an older worker), undefined before. Kept
   * for the connection: a worker that is upgraded connects again.
   */
  knows(type: string): boolean | undefined {
    return this.#knows.get(type);
  }

  /** Notes that the worker answered (`known` true) or did not know a request of `type`. */
  noteKnows(type: string, known: boolean): void {
    this.#knows.set(type, known);
  }

  /** Requests sent to the worker and not yet answered: how busy it is. */
  get requestsInFlight(): number {
    return this.connection.pendingCount;
  }

  /**
   * Whether the worker answered nothing (no pong, no response) through a whole
   * ping interval and nothing since its last ping: likely frozen, so requests
   * that may go to another worker go there first. Kept by the heartbeat.
   */
  get seemsHung(): boolean {
    const last = this.#lastPing;
    return last !== undefined && last.silent > 0 &&
      this.connection.pongsReceived === last.pongs &&
      this.connection.responsesReceived === last.responses;
  }

  /** The heartbeat pinged the worker after `silent` silent intervals in a row. */
  notePing(silent: number): void {
    this.#lastPing = {
      silent,
      pongs: this.connection.pongsReceived,
      responses: this.connection.responsesReceived,
    };
  }

  /** `name@host:port`, for log lines. */
  get label(): string {
    return `${this.#name}@${this.connection.peer}`;
  }

  /** Updates name and targets (a repeated `register-worker` on the same connection). */
  update(name: string, targets: readonly string[]): void {
    this.#name = name;
    this.#targets = [...targets];
    this.#served = new Set(targets);
    this.#targetBytes = jsonBytes(targets);
  }
}

/** Workers by name (code unit order). */
function byName(a: RegisteredWorker, b: RegisteredWorker): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Called with each worker that registers, or registers again with new data. */
export type RegisterListener = (worker: RegisteredWorker) => void;

/**
 * Milliseconds the worker registered under a name has to answer a ping when
 * another connection from its host registers under that name, 3 s.
 */
export const NAME_PROBE_MS = 3000;

/**
 * Whether the peer on `connection` answers a ping (or anything it owes)
 * within `timeoutMs`; false at once when the connection closes.
 */
async function answersPing(connection: Connection, timeoutMs: number): Promise<boolean> {
  const answered = connection.nextAnswer();
  connection.ping();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => timer = setTimeout(resolve, timeoutMs, false));
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A refused name from the host of `connection`, as the registry remembers it. */
function refusalKey(name: string, connection: Connection): string {
  return `${connection.remoteAddr.hostname} ${name}`;
}

/** What a registry may be given. */
export interface WorkerRegistryOptions {
  /** Milliseconds a probed worker has to answer; {@linkcode NAME_PROBE_MS} by default. */
  probeMs?: number;
}

/**
 * Workers by connection. A registration replaces the entry of the same
 * connection. A name held on another connection is refused when that
 * connection is from another host (two workers would displace each other);
 * from the same host, the holder is pinged: when it answers within
 * {@linkcode NAME_PROBE_MS}, the newcomer is refused (two workers on one
 * host with one name, most often both left at the default, the host name);
 * when it does not, its connection is taken for a leftover from before the
 * worker restarted, closed, and replaced. Refusals are logged as warnings,
 * a name refused again from the same host at debug (PasswordRefusals).
 * A worker is forgotten when its connection closes.
 */
export class WorkerRegistry {
  #byConnection = new Map<Connection, RegisteredWorker>();
  /**
   * The workers serving each target, kept with `#byConnection`: a request
   * naming thousands of targets looks each up once, never walking every
   * worker per target.
   */
  #byTarget = new Map<string, Set<RegisteredWorker>>();
  #listeners: RegisterListener[] = [];
  #probeMs: number;
  /**
   * Refused names by host: a refused worker tries again every
   * `master_reconnect_timeout`, for ever, and is warned of once (then hourly).
   */
  #refusals = new PasswordRefusals();

  constructor(options: WorkerRegistryOptions = {}) {
    this.#probeMs = options.probeMs ?? NAME_PROBE_MS;
  }

  /** Calls `listener` after every registration. */
  onRegister(listener: RegisterListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Registers (or re-registers) the worker on `connection`, once the name
   * is free (see the class). Rejects with a `RequestError` naming the name
   * and the holder's address when another worker holds it.
   */
  async register(
    connection: Connection,
    name: string,
    targets: readonly string[],
  ): Promise<RegisteredWorker> {
    for (
      let holder = this.#holder(name, connection);
      holder;
      holder = this.#holder(name, connection)
    ) {
      const previous = holder.connection.peer;
      if (!isSameHost(holder.connection.remoteAddr.hostname, connection.remoteAddr.hostname)) {
        this.#refuse(name, connection, previous, "is on another host");
      }
      const answered = await answersPing(holder.connection, this.#probeMs);
      // The registry may have changed while the ping was out: look again.
      if (this.#byConnection.get(holder.connection) !== holder || holder.name !== name) continue;
      if (answered) this.#refuse(name, connection, previous, "still answers");
      log.warn(
        "Worker {name} registered again from {peer}; its previous connection from {previous} " +
          "answered no ping in {ms} ms: closing it",
        { name, peer: connection.peer, previous, ms: this.#probeMs },
      );
      this.#forget(holder);
      holder.connection.close();
    }
    return this.#enter(connection, name, targets);
  }

  /** The worker on a connection other than `connection` registered as `name`. */
  #holder(name: string, connection: Connection): RegisteredWorker | undefined {
    for (const other of this.#byConnection.values()) {
      if (other.name === name && other.connection !== connection) return other;
    }
    return undefined;
  }

  #refuse(name: string, connection: Connection, previous: string, why: string): never {
    const host = connection.remoteAddr.hostname;
    const note = this.#refusals.refused(refusalKey(name, connection));
    const refused =
      "Refused the registration of worker {name} from {peer}: the worker registered " +
      "under that name from {previous} {why}";
    const values = { name, peer: connection.peer, previous, why, host, count: note.count };
    if (note.count === 1) {
      log.warn(
        `${refused} (further refusals of the name from {host} are logged at debug level, ` +
          "with a warning every hour, until it registers)",
        values,
      );
    } else {
      log[note.level](`${refused} ({count} refusals of the name from {host} in a row)`, values);
    }
    throw new RequestError(
      `worker name '${name}' is already registered from ${previous}: ` +
        `give each worker its own 'name'`,
    );
  }

  #enter(connection: Connection, name: string, targets: readonly string[]): RegisteredWorker {
    let worker = this.#byConnection.get(connection);
    if (worker) {
      this.#unindex(worker);
      worker.update(name, targets);
      this.#index(worker);
      log.info("Worker {label} updated its targets: {targets}", {
        label: worker.label,
        targets: targets.join(", ") || "none",
      });
    } else if (!connection.isClosed) {
      this.#refusals.accepted(refusalKey(name, connection));
      worker = new RegisteredWorker(connection, name, targets);
      this.#byConnection.set(connection, worker);
      this.#index(worker);
      connection.closed.then(() => this.remove(connection));
      log.info("Worker {label} registered with targets: {targets}", {
        label: worker.label,
        targets: targets.join(", ") || "none",
      });
    } else {
      // Closed while its request was being served: nothing to remember.
      return new RegisteredWorker(connection, name, targets);
    }
    for (const listener of this.#listeners) listener(worker);
    return worker;
  }

  /** Forgets the worker on `connection`; returns it, if there was one. */
  remove(connection: Connection): RegisteredWorker | undefined {
    const worker = this.#byConnection.get(connection);
    if (!worker) return undefined;
    this.#forget(worker);
    log.info("Worker {label} is gone", { label: worker.label });
    return worker;
  }

  #forget(worker: RegisteredWorker): void {
    this.#byConnection.delete(worker.connection);
    this.#unindex(worker);
  }

  #index(worker: RegisteredWorker): void {
    for (const target of worker.targets) {
      const serving = this.#byTarget.get(target);
      if (serving) serving.add(worker);
      else this.#byTarget.set(target, new Set([worker]));
    }
  }

  #unindex(worker: RegisteredWorker): void {
    for (const target of worker.targets) {
      const serving = this.#byTarget.get(target);
      serving?.delete(worker);
      if (serving?.size === 0) this.#byTarget.delete(target);
    }
  }

  /** The worker registered on `connection`, if any. */
  get(connection: Connection): RegisteredWorker | undefined {
    return this.#byConnection.get(connection);
  }

  /** Every registered worker, by name. */
  get workers(): RegisteredWorker[] {
    return [...this.#byConnection.values()].sort(byName);
  }

  /** Number of registered workers. */
  get size(): number {
    return this.#byConnection.size;
  }

  /** The workers serving `target`, by name. */
  serving(target: string): RegisteredWorker[] {
    return [...this.#byTarget.get(target) ?? []].sort(byName);
  }

  /** Whether some worker serves `target`. */
  isServed(target: string): boolean {
    return this.#byTarget.has(target);
  }

  /**
   * The workers serving any of `targets`, by name, each with those it serves
   * in its own order: one look-up per target, then one pass over each
   * chosen worker's targets.
   */
  servingAny(targets: Iterable<string>): Map<RegisteredWorker, string[]> {
    const wanted = new Map<RegisteredWorker, Set<string>>();
    for (const target of targets) {
      for (const worker of this.#byTarget.get(target) ?? []) {
        const served = wanted.get(worker);
        if (served) served.add(target);
        else wanted.set(worker, new Set([target]));
      }
    }
    const byWorker = new Map<RegisteredWorker, string[]>();
    for (const worker of [...wanted.keys()].sort(byName)) {
      byWorker.set(worker, worker.servedOf(wanted.get(worker)!));
    }
    return byWorker;
  }

  /** Closes every worker connection (on shutdown); the workers reconnect later. */
  closeAll(): void {
    for (const connection of [...this.#byConnection.keys()]) connection.close();
  }
}
