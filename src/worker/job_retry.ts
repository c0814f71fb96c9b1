/**
 * Retries with backoff (`max_attempts`, `retry_delay`, `retry_delay_max`):
 * whether a failed attempt runs again, and
 * when. Pure functions; the worker supplies what it knows of the job.
 */

import type { JobOutcome } from "../job.ts";

/** The retry keys of a target's policy (config/job_policy.ts). */
export interface RetrySettings {
  readonly maxAttempts: number;
  readonly retryDelay: number;
  readonly retryDelayMax: number;
  readonly retryExitCodes: readonly number[] | undefined;
}

/** What decides a retry besides the settings. */
export interface AttemptFacts {
  /** This attempt's number: 1 for the first start. */
  readonly attempt: number;
  /** The most attempts for this job (the row's `max_attempts`, else the config's). */
  readonly maxAttempts: number;
  /** A run-manual job: its caller gets the result, it is never retried. */
  readonly manual: boolean;
  /** Killed by `send-signal`: an operator stopped it, it is not retried. */
  readonly signalled: boolean;
}

/**
 * Why a failed attempt is not retried, or undefined when it is. A success
 * is never retried. With `retryExitCodes`, only those exit codes are retried
 * (a signal, a timeout, a launcher that did not start have none).
 */
export function whyNoRetry(
  outcome: JobOutcome,
  facts: AttemptFacts,
  settings: RetrySettings,
): string | undefined {
  if (outcome.result === "ok") return "it succeeded";
  if (facts.manual) return "run-manual jobs are not retried";
  if (facts.signalled) return "it was stopped by send-signal";
  if (facts.attempt >= facts.maxAttempts) {
    return `that was attempt ${facts.attempt} of ${facts.maxAttempts}`;
  }
  const codes = settings.retryExitCodes;
  if (codes !== undefined && (outcome.code === null || !codes.includes(outcome.code))) {
    return `its exit code ${outcome.code ?? "(none)"} is not in retry_exit_codes`;
  }
  return undefined;
}

/**
 * Seconds until the next attempt after attempt number `attempt` (≥ 1):
 * min(retry_delay_max, retry_delay · 2^(attempt − 1)), varied by ±20 %
 * (`random` in [0, 1)), rounded to whole seconds, and never over
 * `retry_delay_max` (the longest delay, as the config says). The doubling
 * stops at 2^40 (far over any `retry_delay_max`): 2^1024 would be Infinity,
 * and 0 · Infinity is not a number.
 */
export function retryDelaySeconds(
  attempt: number,
  settings: Pick<RetrySettings, "retryDelay" | "retryDelayMax">,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    settings.retryDelayMax,
    settings.retryDelay * 2 ** Math.min(attempt - 1, 40),
  );
  return Math.min(settings.retryDelayMax, Math.round(base * (0.8 + 0.4 * random())));
}
