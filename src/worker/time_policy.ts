/**
 * The timeouts and retries in force for each job: the config's policy of its
 * target (`[target:NAME]` over the top level), overridden by the row's own
 * `timeout` and `max_attempts` where the table has them. Row values are
 * checked here: a value that is not a whole number ≥ 0 is logged with the
 * job's id and treated as NULL (the config's value applies; an `attempts`
 * count as its limit, 65,535: no retry left); one over the
 * bound of its config key (`MAX_ATTEMPTS_LIMIT` for `attempts` and
 * `max_attempts`, `MAX_TIME_SECONDS` for `timeout`) is logged and read as
 * that bound.
 */

import { getLogger } from "@logtape/logtape";
import {
  DEFAULT_JOB_POLICY,
  type JobPolicy,
  MAX_ATTEMPTS_LIMIT,
  MAX_TIME_SECONDS,
} from "../config/job_policy.ts";
import type { ClaimedJob, JobOutcome } from "../job.ts";
import type { TimeFeatures } from "../storage/time_columns.ts";
import type { TimeLimit } from "./job_timeout.ts";
import { retryDelaySeconds, whyNoRetry } from "./job_retry.ts";
import { rowValueText } from "../text.ts";

const log = getLogger(["jobd", "worker", "time"]);

/** The policies of a config: the top level's and each `[target:NAME]` section's. */
export interface JobPolicies {
  readonly base: JobPolicy;
  readonly targets: ReadonlyMap<string, JobPolicy>;
}

/** What `status` shows of a target's policy (only what differs from "none"). */
export interface PolicySummary {
  /** Seconds, when a timeout is set. */
  timeout?: number;
  /** When retries are on (> 1). */
  maxAttempts?: number;
  retryDelay?: number;
  retryDelayMax?: number;
  retryExitCodes?: number[];
}

/** How a job that ended goes on: its attempt number and, for a retry, when. */
export interface RetryDecision {
  /** Unix seconds of the next attempt; undefined = the row ends `done`. */
  retryAt?: number;
  /** This attempt's number (1 for the first), when the table counts attempts. */
  attempt?: number;
  maxAttempts: number;
}

/** Decides timeouts and retries per job, from the policies and the row's values. */
export class TimePolicy {
  #policies: JobPolicies;
  readonly #features: TimeFeatures;

  constructor(policies: JobPolicies | undefined, features: TimeFeatures) {
    this.#policies = policies ?? { base: DEFAULT_JOB_POLICY, targets: new Map() };
    this.#features = features;
  }

  /** Replaced on config reload; applies to jobs started later. */
  set policies(policies: JobPolicies) {
    this.#policies = policies;
  }

  /** The policy of a target. */
  policyOf(target: string): JobPolicy {
    return this.#policies.targets.get(target) ?? this.#policies.base;
  }

  /** The time limit of a job: the row's `timeout` (0 = none) over its target's. */
  limitOf(job: ClaimedJob): TimeLimit | undefined {
    const policy = this.policyOf(job.target);
    const own = this.#features.rowTimeout
      ? rowNumber(job.id, "timeout", job.row?.timeout, MAX_TIME_SECONDS)
      : undefined;
    const seconds = own ?? policy.timeout;
    return seconds > 0 ? { seconds, graceSeconds: policy.timeoutGrace } : undefined;
  }

  /**
   * Whether a job that ended with `outcome` runs again, and when. Only a
   * failed background job with attempts left, not stopped by send-signal, in
   * a table with the retry columns.
   */
  decide(
    job: ClaimedJob,
    outcome: JobOutcome,
    facts: { manual: boolean; signalled: boolean; nowSeconds: number },
  ): RetryDecision {
    const policy = this.policyOf(job.target);
    const ownMax = this.#features.rowMaxAttempts
      ? rowNumber(job.id, "max_attempts", job.row?.maxAttempts, MAX_ATTEMPTS_LIMIT)
      : undefined;
    const maxAttempts = ownMax === undefined || ownMax < 1 ? policy.maxAttempts : ownMax;
    if (!this.#features.retries) return { maxAttempts };
    // A count that is no whole number ≥ 0 (2.5 in SQLite, a negative one in a signed column)
    // would never reach the limit as the starts count it on: no retry for it.
    const before = rowNumber(
      job.id,
      "attempts",
      job.row?.attempts,
      MAX_ATTEMPTS_LIMIT,
      MAX_ATTEMPTS_LIMIT,
    ) ?? 0;
    const attempt = Math.min(before + 1, MAX_ATTEMPTS_LIMIT);
    if (maxAttempts <= 1) return { attempt, maxAttempts };
    const why = whyNoRetry(outcome, { attempt, maxAttempts, ...facts }, policy);
    if (why !== undefined) {
      if (outcome.result === "fail") {
        log.info("Job {id} failed and is not retried: {why}", { id: job.id, why });
      }
      return { attempt, maxAttempts };
    }
    const delay = retryDelaySeconds(attempt, policy);
    return { attempt, maxAttempts, retryAt: facts.nowSeconds + delay };
  }

  /** What `status` shows of a target's timeouts and retries. */
  summaryOf(target: string): PolicySummary {
    const policy = this.policyOf(target);
    const summary: PolicySummary = {};
    if (policy.timeout > 0) summary.timeout = policy.timeout;
    if (policy.maxAttempts > 1) {
      summary.maxAttempts = policy.maxAttempts;
      summary.retryDelay = policy.retryDelay;
      summary.retryDelayMax = policy.retryDelayMax;
      if (policy.retryExitCodes) summary.retryExitCodes = [...policy.retryExitCodes];
    }
    return summary;
  }
}

/**
 * A row's whole number ≥ 0, or undefined for NULL / absent. Anything else
 * (negative, fractional, text) is logged naming the job and the column, and
 * read as NULL, or as `invalidAs` when given; a number over `max` is logged
 * and read as `max`.
 */
export function rowNumber(
  jobId: number,
  column: string,
  value: unknown,
  max = Number.MAX_SAFE_INTEGER,
  invalidAs?: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number === "number" && Number.isInteger(number) && number > max) {
    log.warn("Job {id}: its {column} value {value} is over {max}; reading it as {max}", {
      id: jobId,
      column,
      value: rowValueText(value),
      max,
    });
    return max;
  }
  if (typeof number === "number" && Number.isSafeInteger(number) && number >= 0) return number;
  if (invalidAs !== undefined) {
    log.warn("Job {id}: its {column} value {value} is not a whole number ≥ 0; reading it as {as}", {
      id: jobId,
      column,
      value: rowValueText(value),
      as: invalidAs,
    });
    return invalidAs;
  }
  log.warn("Job {id}: its {column} value {value} is not a whole number ≥ 0; ignoring it", {
    id: jobId,
    column,
    value: rowValueText(value),
  });
  return undefined;
}
