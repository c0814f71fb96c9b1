/**
 * The password check of a connection's first request, in constant time.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { isLoopback } from "./address.ts";

const encoder = new TextEncoder();

/** Compares two passwords in time independent of where they differ. */
export function passwordsMatch(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  // Compare equal-length buffers so the length does not short-circuit.
  const padded = new Uint8Array(Math.max(a.length, b.length));
  padded.set(a);
  const reference = new Uint8Array(padded.length);
  reference.set(b);
  return timingSafeEqual(padded, reference) && a.length === b.length;
}

/**
 * Whether a peer at `host` must give the password: one is required, and
 * `alwaysAllowLocalhost` does not let a loopback peer in without it.
 */
export function needsPassword(
  options: { requiredPassword?: string; alwaysAllowLocalhost?: boolean },
  host: string,
): boolean {
  return !!options.requiredPassword &&
    !(options.alwaysAllowLocalhost === true && isLoopback(host));
}
