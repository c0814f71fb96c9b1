/**
 * The master's pings to its workers, and the dropping of a worker that has
 * gone silent (a half-open connection, a frozen process).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Connection } from "../net/connection.ts";
import type { WorkerRegistry } from "./registry.ts";

const log = getLogger(["jobd", "master", "heartbeat"]);

/** Consecutive ping intervals without a word from a worker after which it is dropped. */
export const SILENT_INTERVALS_LIMIT = 2;

interface Liveness {
  /** `pongsReceived` and `responsesReceived` when the last ping went out. */
  pongsReceived: number;
  responsesReceived: number;
  /** Pings in a row that nothing at all answered. */
  silent: number;
}

/**
 * Every `interval` seconds, pings each registered worker (only registered
 * workers: a plain client never gets a ping, docs/protocol.md) and closes
 * the connection of a worker that answered nothing — no pong, no response —
 * since each of its last two pings. What the worker sends of its own accord
 * (its pings, requests) does not count: a worker that pings but answers
 * nothing would otherwise hold a `run-manual` for ever. Closing rejects the
 * requests still waiting for that worker and removes it from the registry.
 */
export class Heartbeat {
  #registry: WorkerRegistry;
  #interval: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #liveness = new WeakMap<Connection, Liveness>();

  constructor(registry: WorkerRegistry, interval: number) {
    this.#registry = registry;
    this.#interval = interval;
  }

  /** Seconds between pings. */
  get interval(): number {
    return this.#interval;
  }

  /** Changes the period (config reload); a running heartbeat restarts with it. */
  set interval(seconds: number) {
    this.#interval = seconds;
    if (this.#timer !== undefined) {
      this.stop();
      this.start();
    }
  }

  /** Starts pinging. */
  start(): void {
    this.#timer ??= setInterval(() => this.beat(), this.#interval * 1000);
  }

  /** Stops pinging. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One round: drops the workers silent for `SILENT_INTERVALS_LIMIT` pings,
   * pings the others. Called by the timer; public so tests can drive it.
   */
  beat(): void {
    for (const worker of this.#registry.workers) {
      const connection = worker.connection;
      const previous = this.#liveness.get(connection);
      const answered = previous === undefined ||
        connection.pongsReceived > previous.pongsReceived ||
        connection.responsesReceived > previous.responsesReceived;
      const silent = answered ? 0 : previous.silent + 1;
      if (silent >= SILENT_INTERVALS_LIMIT) {
        log.warn("Worker {label} answered none of the last {count} pings; dropping it", {
          label: worker.label,
          count: silent,
        });
        this.#registry.remove(connection);
        connection.close();
        continue;
      }
      this.#liveness.set(connection, {
        pongsReceived: connection.pongsReceived,
        responsesReceived: connection.responsesReceived,
        silent,
      });
      worker.notePing(silent);
      connection.ping();
    }
  }
}
