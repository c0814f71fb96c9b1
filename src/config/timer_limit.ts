/**
 * The longest wait a config key may ask of a timer. A JavaScript timer keeps
 * at most 2^31 − 1 ms (about 24.8 days): a longer delay fires after 1 ms
 * instead (with a `TimeoutOverflowWarning`), so `poll_interval = 3000000`
 * would poll in a tight loop. The keys in seconds that end up in a
 * `setTimeout` or `setInterval` are refused above it where they are read.
 *
 * The keys that set a period, a timer that fires again and again
 * (`poll_interval`, `ping_interval`, `master_reconnect_timeout`), are also
 * refused below {@linkcode MIN_PERIOD_SECONDS}: `poll_interval = 0.001` would
 * have the worker poll its database a thousand times a second.
 *
 * @module
 */

import { DECIMAL_FORMAT, numberType, type ValueType } from "./ini_file.ts";

/** The longest delay one `setTimeout` or `setInterval` keeps, in milliseconds: 2^31 − 1. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The most seconds a key that reaches a timer may have: 2147483, about 24 days. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * The shortest period a key for a repeating timer may set, 0.05 seconds
 * (twenty times a second): shorter keeps a daemon busy for nothing.
 */
export const MIN_PERIOD_SECONDS = 0.05;

/** `about 24 days` for 2147483 seconds (whole days, rounded down). */
export function aboutDays(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  return `about ${days} day${days === 1 ? "" : "s"}`;
}

/** Options of {@linkcode timerSecondsType}. */
export interface TimerSecondsOptions {
  /** Whether 0 is allowed (otherwise the value must be > 0). */
  allowZero: boolean;
  /**
   * A key whose value a timer waits `factor` times over (the worker waits
   * twice `master_reconnect_timeout` for the master's answers) may have at
   * most {@linkcode MAX_TIMER_SECONDS} / `factor`; 1 by default.
   */
  factor?: number;
  /** Why the limit is lower, for the message; with `factor`. */
  why?: string;
  /**
   * A key that sets a period: the value, unless 0 (with `allowZero`), must
   * be at least {@linkcode MIN_PERIOD_SECONDS}.
   */
  period?: boolean;
}

/**
 * A number of seconds (fractional, as {@linkcode numberType} reads it) that
 * a timer waits: from 0 (or above 0) to {@linkcode MAX_TIMER_SECONDS}, or a
 * `factor`th of it; a `period` is 0 (with `allowZero`) or at least
 * {@linkcode MIN_PERIOD_SECONDS}. The message names the limits in seconds,
 * and the largest in days.
 */
export function timerSecondsType(options: TimerSecondsOptions): ValueType<number> {
  const { allowZero, factor = 1, why, period = false } = options;
  const base = numberType({ min: 0, allowMin: allowZero });
  const max = Math.floor(MAX_TIMER_SECONDS / factor);
  const reason = why ?? "the longest a timer waits";
  const range = period
    ? `${allowZero ? "0 or " : ""}a number from ${MIN_PERIOD_SECONDS} to ${max} seconds ` +
      `(at least ${MIN_PERIOD_SECONDS}: a shorter period keeps the daemon busy for nothing; ` +
      `at most ${aboutDays(max)}, ${reason})`
    : `a number ${allowZero ? ">=" : ">"} 0 and at most ${max} seconds (${
      aboutDays(max)
    }, ${reason})`;
  return {
    describe: `${range}, ${DECIMAL_FORMAT}`,
    hint: base.hint,
    parse(value) {
      const seconds = base.parse(value);
      if (seconds === undefined || seconds > max) return undefined;
      if (period && seconds !== 0 && seconds < MIN_PERIOD_SECONDS) return undefined;
      return seconds;
    },
  };
}
