/**
 * The time a peer's message may take to arrive once begun: one timer per
 * connection while a message is in progress, none between messages.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { MAX_MESSAGE_ARRIVAL_MS } from "../protocol/limits.ts";

const log = getLogger(["jobd", "net"]);

/**
 * Ends a connection whose peer began a message and has not ended it within
 * `limitMs` (see `MAX_MESSAGE_ARRIVAL_MS`): one timer while a message is
 * in progress, none between messages.
 */
export class ArrivalWatch {
  readonly #limitMs: number;
  readonly #peer: () => string;
  readonly #close: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;

  /** `peer` names the peer in the warning; `close` ends its connection. */
  constructor(peer: () => string, close: () => void, limitMs = MAX_MESSAGE_ARRIVAL_MS) {
    this.#peer = peer;
    this.#close = close;
    this.#limitMs = limitMs;
  }

  /**
   * After each read: whether a message is in progress now, and whether the
   * read ended one (the one in progress then began in this read).
   */
  partial(inProgress: boolean, ended: boolean): void {
    if (!inProgress || ended) this.stop();
    if (inProgress && this.#timer === undefined && !this.#paused) this.#start();
  }

  /**
   * While we do not read (the peer does not read our answers), the message
   * in progress cannot arrive: its time starts again once we read again.
   */
  pause(): void {
    this.#paused = true;
    this.stop();
  }

  resume(inProgress: boolean): void {
    this.#paused = false;
    if (inProgress && this.#timer === undefined) this.#start();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #start(): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      log.warn("Disconnecting {peer}: a message it began {seconds} s ago has not ended", {
        peer: this.#peer(),
        seconds: this.#limitMs / 1000,
      });
      this.#close();
    }, this.#limitMs);
    // A watch alone does not keep the process running.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}
