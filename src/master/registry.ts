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

const log = getLogger(["jobd", "master", "registry"]);

/** A worker registered on one connection. */
export class RegisteredWorker {
  /** The persistent connection the worker registered on. */
  readonly connection: Connection;
  /** Requests to the worker, over `connection`. */
  readonly client: WorkerClient;
  #name: string;
  #targets: readonly string[];
  #served: ReadonlySet<string>;

  constructor(connection: Connection, name: string, targets: readonly string[]) {
    this.connection = connection;
    this.client = new WorkerClient(connection);
    this.#name = name;
    this.#targets = [...targets];
    this.#served = new Set(targets);
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

  /** Requests sent to the worker and not yet answered: how busy it is. */
  get requestsInFlight(): number {
    return this.connection.pendingCount;
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
  }
}

/** Called with each worker that registers, or registers again with new data. */
export type RegisterListener = (worker: RegisteredWorker) => void;

/**
 * Workers by connection. A registration replaces the entry of the same
 * connection, and one of the same name on another connection from the same
 * host (that connection is closed: it is most likely left over from before
 * the worker restarted). The same name from another host is refused: two
 * workers would displace each other. A worker is forgotten when its
 * connection closes.
 */
export class WorkerRegistry {
  #byConnection = new Map<Connection, RegisteredWorker>();
  #listeners: RegisterListener[] = [];

  /** Calls `listener` after every registration. */
  onRegister(listener: RegisterListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Registers (or re-registers) the worker on `connection`. Throws a
   * `RequestError` naming the name when a worker on another host holds it.
   */
  register(connection: Connection, name: string, targets: readonly string[]): RegisteredWorker {
    for (const other of this.#byConnection.values()) {
      if (other.name !== name || other.connection === connection) continue;
      if (!isSameHost(other.connection.remoteAddr.hostname, connection.remoteAddr.hostname)) {
        throw new RequestError(
          `worker name '${name}' is already registered from ${other.connection.peer}: ` +
            `give each worker its own 'name'`,
        );
      }
    }
    for (const other of this.#byConnection.values()) {
      if (other.name !== name || other.connection === connection) continue;
      log.warn(
        "Worker {name} registered again from {peer}; closing its previous connection from {previous}",
        { name, peer: connection.peer, previous: other.connection.peer },
      );
      this.#byConnection.delete(other.connection);
      other.connection.close();
    }
    let worker = this.#byConnection.get(connection);
    if (worker) {
      worker.update(name, targets);
      log.info("Worker {label} updated its targets: {targets}", {
        label: worker.label,
        targets: targets.join(", ") || "none",
      });
    } else if (!connection.isClosed) {
      worker = new RegisteredWorker(connection, name, targets);
      this.#byConnection.set(connection, worker);
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
    this.#byConnection.delete(connection);
    log.info("Worker {label} is gone", { label: worker.label });
    return worker;
  }

  /** The worker registered on `connection`, if any. */
  get(connection: Connection): RegisteredWorker | undefined {
    return this.#byConnection.get(connection);
  }

  /** Every registered worker, by name. */
  get workers(): RegisteredWorker[] {
    return [...this.#byConnection.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** Number of registered workers. */
  get size(): number {
    return this.#byConnection.size;
  }

  /** The workers serving `target`. */
  serving(target: string): RegisteredWorker[] {
    return this.workers.filter((worker) => worker.serves(target));
  }

  /** Whether some worker serves `target`. */
  isServed(target: string): boolean {
    for (const worker of this.#byConnection.values()) if (worker.serves(target)) return true;
    return false;
  }

  /** Closes every worker connection (on shutdown); the workers reconnect later. */
  closeAll(): void {
    for (const connection of [...this.#byConnection.keys()]) connection.close();
  }
}
