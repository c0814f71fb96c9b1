/**
 * The password refusals of one server, by peer address, so that a peer that
 * keeps trying a wrong password (a worker with the wrong `master_password`
 * reconnects every `master_reconnect_timeout`, for ever) makes one warning,
 * not one per attempt: the first refusal is logged at warn, the repeats at
 * debug with a warning again every {@linkcode REFUSAL_REMINDER_MS} that
 * counts them, until the address gives the right password.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const log = getLogger(["jobd", "net"]);

/** Peer addresses remembered at most; past it the oldest is forgotten (and warned of afresh). */
export const MAX_REFUSED_PEERS = 1000;

/** How often a peer that goes on being refused is warned of again: every hour. */
export const REFUSAL_REMINDER_MS = 60 * 60_000;

/** How a refusal is logged: its level, and how many refusals of that address in a row it makes. */
export interface RefusalNote {
  level: "warn" | "debug";
  /** Refusals of the address since its last success (or since it was forgotten), this one included. */
  count: number;
}

/**
 * A server's memory of the addresses whose password it refused (the master's
 * registry keeps one of the worker names it refused, by host, likewise).
 */
export class PasswordRefusals {
  /** By address, oldest first: refusals in a row, and when the last warning about them was. */
  readonly #peers = new Map<string, { count: number; warnedAt: number }>();
  readonly #limit: number;
  readonly #now: () => number;

  constructor(options: { limit?: number; now?: () => number } = {}) {
    this.#limit = options.limit ?? MAX_REFUSED_PEERS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Records a refused password from `address`; says how to log it. */
  refused(address: string): RefusalNote {
    const now = this.#now();
    const known = this.#peers.get(address);
    if (known === undefined) {
      if (this.#peers.size >= this.#limit) {
        this.#peers.delete(this.#peers.keys().next().value!);
      }
      this.#peers.set(address, { count: 1, warnedAt: now });
      return { level: "warn", count: 1 };
    }
    known.count++;
    if (now - known.warnedAt < REFUSAL_REMINDER_MS) return { level: "debug", count: known.count };
    known.warnedAt = now;
    return { level: "warn", count: known.count };
  }

  /** `address` gave the right password: its next refusal is warned of again. */
  accepted(address: string): void {
    this.#peers.delete(address);
  }

  /** How many addresses are remembered. */
  get size(): number {
    return this.#peers.size;
  }
}

/**
 * Logs the refused password of `peer` (`host:port`) on a request of `type`:
 * with a server's `refusals`, at warn the first time from `host`, then at
 * debug, counted; without, at warn.
 */
export function logRefusedPassword(
  refusals: PasswordRefusals | undefined,
  peer: string,
  host: string,
  request: { type: string },
): void {
  const { type } = request;
  const note = refusals?.refused(host);
  if (note === undefined) {
    log.warn("Refused {peer}: invalid password on request {type}", { peer, type });
  } else if (note.count === 1) {
    log.warn(
      "Refused {peer}: invalid password on request {type} (further refusals of {host} are " +
        "logged at debug level, with a warning every hour, until it gives the right password)",
      { peer, type, host },
    );
  } else {
    log[note.level](
      "Refused {peer}: invalid password on request {type} ({count} refusals of {host} in a row)",
      { peer, type, count: note.count, host },
    );
  }
}
