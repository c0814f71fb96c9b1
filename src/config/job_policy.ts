/**
 * The time keys of the worker config: job timeouts and retries,
 * at the top level for every target and in `[target:NAME]` sections for one.
 *
 * ```ini
 * timeout = 600
 * max_attempts = 3
 *
 * [target:mail]
 * timeout = 30
 * retry_exit_codes = 75, 111
 * ```
 *
 * @module
 */

import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_DELAY,
  DEFAULT_RETRY_DELAY_MAX,
  DEFAULT_TIMEOUT,
  DEFAULT_TIMEOUT_GRACE,
} from "./defaults.ts";
import {
  ConfigError,
  type ConfigSection,
  DECIMAL_FORMAT,
  type IniDocument,
  integerType,
  numberType,
  type ValueType,
} from "./ini_file.ts";
import { quoteTargetName, targetNameProblem } from "../target_names.ts";

/**
 * Longest `timeout`, `timeout_grace`, `retry_delay` and `retry_delay_max`,
 * in seconds: one year. Longer values are surely mistakes, and the timers
 * stay well within what a number of milliseconds holds exactly.
 */
export const MAX_TIME_SECONDS = 366 * 24 * 3600;

/** Largest `max_attempts`: the `attempts` column is a SMALLINT UNSIGNED. */
export const MAX_ATTEMPTS_LIMIT = 65535;

/** How long jobs of a target may run and how often they are tried. Seconds. */
export interface JobPolicy {
  /** `timeout`: seconds a job may run, 0 = no limit. */
  readonly timeout: number;
  /** `timeout_grace`: seconds from the SIGTERM of a timed-out job to its SIGKILL. */
  readonly timeoutGrace: number;
  /** `max_attempts`: starts in all of a failed background job, ≥ 1 (1 = no retry). */
  readonly maxAttempts: number;
  /** `retry_delay`: seconds before the first retry, doubling with each further one. */
  readonly retryDelay: number;
  /** `retry_delay_max`: the longest delay between two attempts. */
  readonly retryDelayMax: number;
  /** `retry_exit_codes`: only these exit codes are retried; undefined = every failure. */
  readonly retryExitCodes: readonly number[] | undefined;
}

/** The policy of a config without any of the keys. */
export const DEFAULT_JOB_POLICY: JobPolicy = {
  timeout: DEFAULT_TIMEOUT,
  timeoutGrace: DEFAULT_TIMEOUT_GRACE,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  retryDelay: DEFAULT_RETRY_DELAY,
  retryDelayMax: DEFAULT_RETRY_DELAY_MAX,
  retryExitCodes: undefined,
};

/** The prefix of a section that sets the policy of one target: `[target:NAME]`. */
export const TARGET_SECTION_PREFIX = "target:";

const secondsType: ValueType<number> = (() => {
  const base = numberType({ min: 0, allowMin: true });
  return {
    describe: `a number of seconds from 0 to ${MAX_TIME_SECONDS}, ${DECIMAL_FORMAT}`,
    hint: base.hint,
    parse(value) {
      const seconds = base.parse(value);
      return seconds !== undefined && seconds <= MAX_TIME_SECONDS ? seconds : undefined;
    },
  };
})();

/** `retry_exit_codes`: exit codes 1 to 255, separated by commas or spaces. */
export const exitCodesType: ValueType<readonly number[]> = {
  describe: "a list of exit codes from 1 to 255, separated by commas (such as '75, 111')",
  parse(value) {
    const text = typeof value === "number" ? String(value) : value;
    if (typeof text !== "string") return undefined;
    const words = text.split(/[\s,]+/).filter((word) => word !== "");
    if (words.length === 0) return undefined;
    const codes = words.map((word) => /^\d{1,3}$/.test(word) ? Number(word) : NaN);
    if (codes.some((code) => !(code >= 1 && code <= 255))) return undefined;
    return [...new Set(codes)].sort((a, b) => a - b);
  },
};

/** Reads the policy keys of one part of the file; absent keys keep `fallback`'s values. */
export function readJobPolicy(section: ConfigSection, fallback: JobPolicy): JobPolicy {
  return {
    timeout: section.withDefault("timeout", secondsType, fallback.timeout),
    timeoutGrace: section.withDefault("timeout_grace", secondsType, fallback.timeoutGrace),
    maxAttempts: section.withDefault(
      "max_attempts",
      integerType({ min: 1, max: MAX_ATTEMPTS_LIMIT }),
      fallback.maxAttempts,
    ),
    retryDelay: section.withDefault("retry_delay", secondsType, fallback.retryDelay),
    retryDelayMax: section.withDefault("retry_delay_max", secondsType, fallback.retryDelayMax),
    retryExitCodes: section.optional("retry_exit_codes", exitCodesType) ?? fallback.retryExitCodes,
  };
}

/**
 * The policy of every `[target:NAME]` section, the top-level `base` with the
 * section's keys over it. A section may name a target that `[targets]` does
 * not list: it applies when the target is added (`add-target`); the worker
 * config warns about it (a mistyped name, most likely).
 */
export function readTargetPolicies(doc: IniDocument, base: JobPolicy): Map<string, JobPolicy> {
  const policies = new Map<string, JobPolicy>();
  for (const name of doc.sectionNames()) {
    if (!name.startsWith(TARGET_SECTION_PREFIX)) continue;
    const section = doc.section(name)!;
    const target = name.slice(TARGET_SECTION_PREFIX.length);
    if (target === "") {
      throw new ConfigError(
        doc.file,
        "the section [target:] names no target: write [target:NAME]",
        {
          key: name,
        },
      );
    }
    const problem = targetNameProblem(target);
    if (problem !== undefined) {
      throw new ConfigError(
        doc.file,
        `the section [${TARGET_SECTION_PREFIX}${quoteTargetName(target).slice(1, -1)}] names ` +
          `no valid target: ${problem}`,
        { key: name },
      );
    }
    policies.set(target, readJobPolicy(section, base));
  }
  return policies;
}
