/**
 * Signal names and numbers as `send-signal` receives them (docs/protocol.md,
 * "Worker requests"): a name with or without the `SIG` prefix, in any case,
 * or a Linux signal number.
 *
 * @module
 */

import { ALIASES, LINUX_SIGNALS, signalName } from "./signal_names.ts";

/**
 * Reads a signal given as a name (`"TERM"`, `"SIGTERM"`, `"sigterm"`) or a
 * Linux signal number (`9`, `"9"`). Aliases resolve to the usual name
 * (`"IOT"` is `"SIGABRT"`).
 *
 * @returns the signal, or undefined when the value names no Linux signal
 */
export function parseSignal(value: unknown): Deno.Signal | undefined {
  return typeof value === "number" || typeof value === "string" ? signalName(value) : undefined;
}

/**
 * The Linux number of a signal (`SIGKILL` is 9), or undefined for a signal
 * Linux does not have.
 */
export function signalNumber(signal: Deno.Signal): number | undefined {
  const name = ALIASES.get(signal) ?? signal;
  for (const [number, candidate] of LINUX_SIGNALS) {
    if (candidate === name) return number;
  }
  return undefined;
}
