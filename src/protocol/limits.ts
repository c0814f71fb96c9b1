/**
 * The bounds on what one peer may make a daemon hold, in one place. README
 * ("Limits") and docs/protocol.md ("Limits") quote them; the request lists
 * are checked in validate.ts, the rest in net/. The largest message is `DEFAULT_MAX_MESSAGE_BYTES`
 * in framing.ts; the number of connections is the config key
 * `max_connections` (config/defaults.ts).
 *
 * @module
 */

/**
 * Most items of a list in one request: targets (`poll`, `pause`,
 * `continue`, `poke`, `register-worker`), ids (`run-manual`) and jobs
 * (`send-signal`, master `run-manual`), 10,000. More is refused with an error
 * naming the field and the limit.
 */
export const MAX_LIST_ITEMS = 10_000;

/**
 * Most targets one worker serves (`[targets]` and `add-target` together),
 * 10,000: its `register-worker` lists them all, and the master takes at
 * most {@linkcode MAX_LIST_ITEMS} in one list.
 */
export const MAX_WORKER_TARGETS = MAX_LIST_ITEMS;

/**
 * Most characters of a worker's `name` (its config key, and the
 * `register-worker` the master takes), 255. More is refused with an error
 * naming the limit.
 */
export const MAX_WORKER_NAME_LENGTH = 255;

/**
 * Most jobs one target runs at once (`[targets]`, `add-target`,
 * `set-target-concurrency`): a typo of a few digits must not let one target
 * start processes without end.
 */
export const MAX_TARGET_CONCURRENCY = 10_000;

/**
 * Bytes of answers that may wait to be sent on one connection, 1 MiB: past
 * it, nothing more is read from that peer until it reads (one answer may be
 * larger; it is sent whole).
 */
export const MAX_QUEUED_ANSWER_BYTES = 1024 * 1024;

/**
 * Requests of one connection being served at once (a `run-manual` waits for
 * its jobs), 1,000. A request beyond it is answered at once with an error.
 */
export const MAX_UNANSWERED_REQUESTS = 1000;

/**
 * Bytes of the requests of one connection being served at once, 16 MiB (the
 * largest message): a request that would pass it while others are served is
 * answered at once with an error.
 */
export const MAX_UNANSWERED_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * The error text of a list over {@linkcode MAX_LIST_ITEMS}, naming the field:
 * `'targets' has 20000 items: at most 10000 in one request`.
 */
export function tooManyItems(field: string, count: number): string {
  return `'${field}' has ${count} items: at most ${MAX_LIST_ITEMS} in one request`;
}

/**
 * Why a connection that is serving `serving` requests of `servingBytes`
 * bytes cannot take one more of `size` bytes, or `undefined` when it can. A
 * single request is always taken, however large.
 */
export function inProgressRefusal(
  serving: number,
  servingBytes: number,
  size: number,
  limits: { maxRequests?: number; maxBytes?: number } = {},
): string | undefined {
  const maxRequests = limits.maxRequests ?? MAX_UNANSWERED_REQUESTS;
  const maxBytes = limits.maxBytes ?? MAX_UNANSWERED_REQUEST_BYTES;
  const wait = "wait for answers before sending more";
  if (serving >= maxRequests) {
    return `too many requests in progress on this connection (at most ${maxRequests}): ${wait}`;
  }
  if (serving > 0 && servingBytes + size > maxBytes) {
    return `too many bytes of requests in progress on this connection (at most ${maxBytes}): ${wait}`;
  }
  return undefined;
}

/**
 * Milliseconds a message may take to arrive once its first byte did, 60 s:
 * a peer that starts a message and never ends it (a client that died
 * mid-write, a "slow" client holding connections open) is disconnected
 * then, so it cannot keep a connection and its buffered bytes for ever. A
 * connection with no message in progress may stay idle as long as it likes
 * (long-lived clients keep theirs open between requests).
 */
export const MAX_MESSAGE_ARRIVAL_MS = 60_000;

/**
 * Milliseconds a connection that must give the password may wait before its
 * first request carries it, 60 s: a peer without the password cannot hold
 * an idle connection (one of `max_connections`) for ever.
 */
export const MAX_PASSWORD_WAIT_MS = 60_000;

/**
 * Connections of one peer address open at once that have not given the
 * password yet, 32: one more is refused, so that a peer without the password
 * cannot take every one of `max_connections`, nor hold 16 MiB of a message
 * begun on each.
 */
export const MAX_UNAUTHORISED_PER_ADDRESS = 32;
