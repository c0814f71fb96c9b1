/**
 * The rule of a schedule: when its slots fall. A `cron` rule asks the cron
 * parser (npm:croner) for the next time of a 5-field expression in a time
 * zone; an `every` rule adds its interval to the previous slot, the interval
 * growing by `decay` after each run up to `every_max`. Times are unix
 * seconds.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Cron } from "croner";
import { formatDuration } from "./duration.ts";

/** The slots of a schedule. */
export interface Rule {
  /** `cron` or `every`. */
  readonly kind: "cron" | "every";
  /** How the rule reads in `schedules`: `cron 0 3 * * * (Europe/Berlin)`, `every 10s`. */
  readonly text: string;
  /** A short hash of everything that places the slots: a new hash starts the schedule anew. */
  readonly hash: string;
  /**
   * The first slot of a schedule new to the table, or whose rule changed:
   * the first after `now`, and not before `start`.
   */
  first(now: number, start?: number): number | undefined;
  /** The slot after `slot`, for a schedule that has run `runs` times. */
  after(slot: number, runs: number): number | undefined;
  /**
   * The first slot after `time` of the slots that follow `slot` (with no run
   * between them): a long gap is crossed without reading every slot in it.
   */
  firstAfter(slot: number, runs: number, time: number): number | undefined;
}

function hashOf(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/**
 * Whether `tz` is a time zone this runtime knows (IANA names such as
 * `Europe/Berlin`, and `UTC`).
 */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A cron expression that parses but that no date matches. */
export class NoDateError extends RangeError {}

/** A 5-field cron expression in a time zone. */
export class CronRule implements Rule {
  readonly kind = "cron";
  readonly text: string;
  readonly hash: string;
  readonly #cron: Cron;

  /**
   * Throws a `RangeError` or `TypeError` with the parser's reason when the
   * expression is not 5 fields the parser accepts, or when no date matches
   * it (`0 0 30 2 *`): such a schedule would never run.
   */
  constructor(readonly expression: string, readonly tz: string, start?: number) {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) {
      throw new RangeError(`has ${fields.length} fields; a cron expression has 5`);
    }
    this.#cron = new Cron(fields.join(" "), { timezone: tz, paused: true });
    if (this.#cron.nextRun() === null) {
      throw new NoDateError("matches no date (such as the 30th of February)");
    }
    this.text = `cron ${fields.join(" ")}${tz === "UTC" ? "" : ` (${tz})`}`;
    this.hash = hashOf(["cron", fields, tz, start ?? null]);
  }

  first(now: number, start?: number): number | undefined {
    const from = start !== undefined && start > now ? start - 1 : now;
    return this.after(from);
  }

  after(slot: number): number | undefined {
    const next = this.#cron.nextRun(new Date(slot * 1000));
    return next === null ? undefined : Math.floor(next.getTime() / 1000);
  }

  firstAfter(slot: number, _runs: number, time: number): number | undefined {
    return time < slot ? slot : this.after(time);
  }
}

/** A fixed interval, growing by `decay` after each run up to `everyMax`. */
export class EveryRule implements Rule {
  readonly kind = "every";
  readonly text: string;
  readonly hash: string;

  constructor(
    readonly every: number,
    readonly decay = 1,
    readonly everyMax = Infinity,
    start?: number,
  ) {
    this.text = `every ${formatDuration(every)}` +
      (decay === 1 ? "" : `, ×${decay} after each run up to ${formatDuration(everyMax)}`);
    this.hash = hashOf([
      "every",
      every,
      decay,
      Number.isFinite(everyMax) ? everyMax : null,
      start ?? null,
    ]);
  }

  /** The interval after `runs` runs: `every · decay^runs`, at most `every_max`. */
  interval(runs: number): number {
    if (this.decay === 1) return this.every;
    return Math.max(1, Math.round(Math.min(this.everyMax, this.every * this.decay ** runs)));
  }

  first(now: number, start?: number): number {
    if (start === undefined) return now + this.every;
    if (start >= now) return start;
    return start + Math.ceil((now - start) / this.every) * this.every;
  }

  after(slot: number, runs: number): number {
    return slot + this.interval(runs);
  }

  firstAfter(slot: number, runs: number, time: number): number {
    const interval = this.interval(runs);
    if (time < slot) return slot;
    return slot + (Math.floor((time - slot) / interval) + 1) * interval;
  }
}
