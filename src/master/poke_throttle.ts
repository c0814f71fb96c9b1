/**
 * Throttling of pokes: the first poke goes out at once, and pokes arriving
 * within `interval` seconds after it are gathered and go out together when
 * the interval ends.
 *
 * @module
 */

/** Where merged pokes go: each call gets the distinct targets gathered. */
export type PokeSender = (targets: string[]) => void;

/**
 * Leading-edge throttle of target sets. Idle, a poke is sent at once and an
 * interval starts; pokes during the interval are merged (a target once) and
 * sent when it ends, which starts another interval. An interval with nothing
 * gathered ends the cycle.
 */
export class PokeThrottle {
  #interval: number;
  #send: PokeSender;
  #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `interval` in seconds (fractions allowed; 0 merges what arrives before the next tick). */
  constructor(interval: number, send: PokeSender) {
    this.#interval = interval;
    this.#send = send;
  }

  /** Seconds over which pokes are merged. */
  get interval(): number {
    return this.#interval;
  }

  /** Changes the interval; the one running keeps its end. */
  set interval(seconds: number) {
    this.#interval = seconds;
  }

  /** Targets gathered and not yet sent. */
  get pending(): string[] {
    return [...this.#pending];
  }

  /** Whether no interval is running: the next poke goes out at once. */
  get idle(): boolean {
    return this.#timer === undefined;
  }

  /** Adds a poke: sent at once when idle, else with the next merged batch. */
  add(targets: Iterable<string>): void {
    for (const target of targets) this.#pending.add(target);
    if (this.#timer === undefined) this.#flush();
  }

  /** Drops gathered pokes and the running interval. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const targets = [...this.#pending];
    this.#pending.clear();
    this.#timer = setTimeout(() => this.#flush(), this.#interval * 1000);
    this.#send(targets);
  }
}
