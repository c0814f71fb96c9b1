/**
 * Asking one of several workers a request any of them can answer (`jobs`,
 * `job`, `stats`, `retry`, `add`): which worker first, and when the next
 * one is asked.
 *
 * - Order: workers that seem hung last; then those known to know the
 *   request (one answered it on this connection); then the fewest requests
 *   in flight; then by name. A worker that refused the type as unknown on
 *   this connection (an older worker, whose newer requests come only with
 *   an upgrade, on a new connection) is not asked again.
 * - A worker that surely did nothing is passed over for the next, whatever
 *   the request: it did not know the type, or its connection had closed
 *   before the request left.
 * - A request that only reads is passed on as well when a worker refuses it
 *   (its database away, say) or does not answer (gone, timed out), unless
 *   the refusal is the request's answer (`job N not found`: the same from
 *   every worker of one table).
 * - A request that changes rows (`retry`, `add`) is not: a worker's refusal
 *   is the answer, in its own words, and a worker that does not answer may
 *   have done it, so the request fails "in doubt" rather than run twice.
 * - All of it within `budget` seconds, each worker given at most `timeout`
 *   of what is left. When none answers, the error names each worker tried
 *   and why, and those left out.
 *
 * @module
 */

import type { RequestOptions, WorkerClient } from "../net/client.ts";
import {
  ConnectionClosedError,
  isUnknownRequestType,
  RemoteError,
  RequestError,
} from "../net/errors.ts";
import { workerFailure } from "./fan_out.ts";
import type { RegisteredWorker } from "./registry.ts";

/** One typed request to a worker's client, with the timeout it is given. */
export type Ask<T> = (client: WorkerClient, options: RequestOptions) => Promise<T>;

/** How long asking may take, in seconds. */
export interface AskLimits {
  /** The longest wait for one worker. */
  timeout: number;
  /** The longest all the workers asked take together. */
  budget: number;
}

/** What is asked, and what makes the next worker asked. */
export interface AskOptions extends AskLimits {
  /** The request type: messages, and the memory of which workers know it. */
  type: string;
  /** Whether the request changes rows (`retry`, `add`): asked again only where surely not done. */
  changesRows: boolean;
  /** Whether a worker's refusal is the request's answer, the same from every worker. */
  isAnswer?: (message: string) => boolean;
}

/** The workers to ask for `type`, the first first (see the module's text). */
export function askOrder(workers: readonly RegisteredWorker[], type: string): RegisteredWorker[] {
  return workers.filter((worker) => worker.knows(type) !== false).sort((a, b) =>
    Number(a.seemsHung) - Number(b.seemsHung) ||
    Number(a.knows(type) !== true) - Number(b.knows(type) !== true) ||
    a.requestsInFlight - b.requestsInFlight ||
    a.name.localeCompare(b.name)
  );
}

/**
 * Longest text kept of one worker's failure in the error naming them all: a
 * peer's refusal may be long, and every worker asked adds one.
 */
export const MAX_FAILURE_TEXT = 1024;

/** A worker's failure as the error names it, cut to {@linkcode MAX_FAILURE_TEXT}. */
function failureText(worker: RegisteredWorker, error: unknown): string {
  const text = workerFailure(worker, error);
  return text.length > MAX_FAILURE_TEXT ? `${text.slice(0, MAX_FAILURE_TEXT)}…` : text;
}

/** Whether `error` says the worker surely did nothing with the request. */
function surelyNotDone(error: unknown, type: string): boolean {
  return isUnknownRequestType(error, type) ||
    (error instanceof ConnectionClosedError && !error.sent);
}

/**
 * The least time left for which another worker is asked. A timer may fire a
 * little before the deadline the budget was counted to (timers run on the
 * event loop's clock, read at the start of its turn), and a slice of a few
 * milliseconds could not bring an answer anyway.
 */
const MIN_ASK_SECONDS = 0.05;

/**
 * Asks `workers` in {@linkcode askOrder} until one answers, as the module's
 * text says; rejects with a `RequestError` otherwise.
 */
export async function askAny<T>(
  workers: readonly RegisteredWorker[],
  ask: Ask<T>,
  options: AskOptions,
): Promise<T> {
  const { type } = options;
  const deadline = Date.now() + options.budget * 1000;
  const failures: string[] = [];
  // Older workers known from an earlier request: named in the error, not asked.
  const passedOver = workers.filter((worker) => worker.knows(type) === false);
  for (const worker of askOrder(workers, type)) {
    const left = (deadline - Date.now()) / 1000;
    if (left < MIN_ASK_SECONDS) {
      failures.push(`worker '${worker.name}' not asked: no time left of ${options.budget} s`);
      continue;
    }
    try {
      // Tenths of a second, so that a timeout's message stays readable.
      const timeout = Math.min(options.timeout, Math.ceil(left * 10) / 10);
      const answer = await ask(worker.client, { timeout });
      worker.noteKnows(type, true);
      return answer;
    } catch (error) {
      if (isUnknownRequestType(error, type)) {
        worker.noteKnows(type, false);
        failures.push(`${failureText(worker, error)} (an older worker)`);
        continue;
      }
      if (error instanceof RemoteError) {
        worker.noteKnows(type, true);
        if (options.changesRows || options.isAnswer?.(error.message)) {
          throw new RequestError(error.message);
        }
      }
      failures.push(failureText(worker, error));
      if (options.changesRows && !surelyNotDone(error, type)) {
        throw new RequestError(
          `${type} in doubt: ${failures.join("; ")}; it may have been done (see 'jobs')`,
        );
      }
    }
  }
  for (const worker of passedOver) {
    failures.push(`worker '${worker.name}' does not know '${type}' (an older worker)`);
  }
  throw new RequestError(`${type} not done: ${failures.join("; ")}`);
}
