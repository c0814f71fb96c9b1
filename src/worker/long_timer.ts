/**
 * `setTimeout` for any delay: timers longer than 2^31 − 1 ms (about 24.8
 * days) fire at once in JavaScript, so a long wait is a chain of shorter ones.
 */

import { MAX_TIMER_MS } from "../config/timer_limit.ts";

/** A timer that can be cancelled. */
export interface LongTimer {
  cancel(): void;
}

/** Calls `callback` after `ms` milliseconds (at once for 0 or less), unless cancelled. */
export function setLongTimer(ms: number, callback: () => void): LongTimer {
  const due = Date.now() + Math.max(0, ms);
  let timer: ReturnType<typeof setTimeout>;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(
      left > MAX_TIMER_MS ? arm : callback,
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
