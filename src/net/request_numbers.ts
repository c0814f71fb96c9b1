/**
 * Numbering our requests on one connection (docs/protocol.md): 1 to 999,999, wrapping,
 * never a number still waiting for its answer.
 *
 * @module
 */

import { MAX_REQUEST_NUMBER } from "../protocol/messages.ts";

/** The request number after `no`: numbers wrap from 999,999 back to 1 (docs/protocol.md). */
export function followingRequestNumber(no: number): number {
  return no + 1 >= MAX_REQUEST_NUMBER ? 1 : no + 1;
}

/**
 * The number for a new request: `candidate` unless `isPending(candidate)`,
 * else the first following number (wrapping below 1,000,000) that is not
 * pending, so a late response can never be matched to the wrong request.
 */
export function takeRequestNumber(
  candidate: number,
  isPending: (no: number) => boolean,
): number {
  let no = candidate;
  for (let tries = 1; isPending(no); tries++) {
    if (tries >= MAX_REQUEST_NUMBER) {
      throw new RangeError(
        `Cannot number a new request: all ${MAX_REQUEST_NUMBER - 1} numbers are pending`,
      );
    }
    no = followingRequestNumber(no);
  }
  return no;
}

/** Most timed-out requests remembered per connection, to name their late answers. */
const MAX_TIMED_OUT_REMEMBERED = 256;

/**
 * The types of a connection's recent requests that timed out, by number: an
 * answer that comes after its request gave up is logged as late, not as
 * unknown. Bounded: past `MAX_TIMED_OUT_REMEMBERED` the memory starts over.
 */
export class TimedOutRequests {
  readonly #types = new Map<number, string>();

  /** Remembers that request `no` of `type` timed out. */
  add(no: number, type: string): void {
    if (this.#types.size >= MAX_TIMED_OUT_REMEMBERED) this.#types.clear();
    this.#types.set(no, type);
  }

  /** The type of timed-out request `no`, forgotten as it is read; undefined when none. */
  take(no: number): string | undefined {
    const type = this.#types.get(no);
    this.#types.delete(no);
    return type;
  }
}
