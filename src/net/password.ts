/**
 * The password check of a connection's first request, in constant time.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";

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
