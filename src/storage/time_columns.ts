/**
 * The optional columns of deferred jobs, timeouts and retries, and
 * what each store can do with the ones a table has: both stores read the
 * table's columns at open and hand them to `timeFeatures`.
 */

import { MAX_ATTEMPTS_LIMIT } from "../config/job_policy.ts";
import type { RowTimeValues } from "../job.ts";

/** The optional columns, as named in the table. */
export const TIME_COLUMNS = ["time_run_at", "timeout", "attempts", "max_attempts"] as const;

/** The status of a row that waits for its `time_run_at` (appended to the status enum). */
export const DELAYED_STATUS = "delayed";

/** What the table holds of the optional columns. */
export interface TimeColumnsFound {
  /** Which of {@linkcode TIME_COLUMNS} exist. */
  readonly columns: ReadonlySet<string>;
  /** Whether the `status` column accepts `delayed`. */
  readonly delayedStatus: boolean;
  /**
   * Whether `time_run_at` may hold NULL (MySQL reads it from the column;
   * absent: it may). Only then is there a NULL time to look for.
   */
  readonly runAtNullable?: boolean;
}

/** Which time features a table supports. */
export interface TimeFeatures {
  /** `delayed` rows start at `time_run_at`: the status value and the column exist. */
  readonly deferred: boolean;
  /** Rows may carry their own `timeout`. */
  readonly rowTimeout: boolean;
  /** Starts are counted (`attempts`), and failed jobs may go back to `delayed`. */
  readonly retries: boolean;
  /** Rows may carry their own `max_attempts`. */
  readonly rowMaxAttempts: boolean;
}

/** A table without any of the optional columns. */
export const NO_TIME_FEATURES: TimeFeatures = {
  deferred: false,
  rowTimeout: false,
  retries: false,
  rowMaxAttempts: false,
};

/** The features the columns found turn on. */
export function timeFeatures(found: TimeColumnsFound): TimeFeatures {
  const deferred = found.delayedStatus && found.columns.has("time_run_at");
  const retries = deferred && found.columns.has("attempts");
  return {
    deferred,
    rowTimeout: found.columns.has("timeout"),
    retries,
    rowMaxAttempts: retries && found.columns.has("max_attempts"),
  };
}

/**
 * What retries need and the table lacks, as the names a message lists:
 * `'attempts'`, `'time_run_at'`, `status 'delayed'`. Empty when retries work.
 */
export function missingForRetries(found: TimeColumnsFound): string[] {
  const missing: string[] = [];
  if (!found.delayedStatus) missing.push(`status '${DELAYED_STATUS}'`);
  for (const column of ["time_run_at", "attempts"]) {
    if (!found.columns.has(column)) missing.push(`'${column}'`);
  }
  return missing;
}

/**
 * `, attempts = ...` counting a start, where the table counts attempts, else
 * nothing. The count stops at `MAX_ATTEMPTS_LIMIT` (the column is a SMALLINT
 * UNSIGNED: one more would fail the start), and a NULL counts as 0. `least`
 * is the dialect's function of the smaller value (`LEAST`, SQLite's `MIN`).
 */
export function countAttemptSql(found: TimeColumnsFound, least: "LEAST" | "MIN"): string {
  return found.columns.has("attempts") ? `, attempts = ${countedAttempts(least)}` : "";
}

/**
 * `, attempts = ...` giving back the start a running mark counted (a job
 * that never started), where the table counts attempts, else nothing. Never
 * below 0; a NULL stays NULL; a count at `MAX_ATTEMPTS_LIMIT` stays there
 * (the mark could not count past it, so there is nothing to give back). The
 * row does not say what the count was before the mark, so a count the mark
 * took from 65,534 to the limit stays at the limit too: one attempt too many
 * at a count no policy reaches, rather than one too few.
 */
export function uncountAttemptSql(found: TimeColumnsFound): string {
  return found.columns.has("attempts")
    ? ", attempts = CASE WHEN attempts > 0 AND attempts < " +
      `${MAX_ATTEMPTS_LIMIT} THEN attempts - 1 ELSE attempts END`
    : "";
}

/** The value of `attempts` once a start is counted (see {@linkcode countAttemptSql}). */
export function countedAttempts(least: "LEAST" | "MIN"): string {
  return `${least}(COALESCE(attempts, 0) + 1, ${MAX_ATTEMPTS_LIMIT})`;
}

/** The per-row columns a claim reads, as `SELECT` items (empty when none exist). */
export function rowValueColumns(found: ReadonlySet<string>): string[] {
  return (["timeout", "attempts", "max_attempts"] as const).filter((column) => found.has(column));
}

/** A row as read by `rowValueColumns`, as `RowTimeValues`, each value through `read`. */
export function toRowTimeValues(
  row: Record<string, unknown>,
  read: (value: unknown) => unknown = (value) => value,
): RowTimeValues {
  const values: { timeout?: unknown; attempts?: unknown; maxAttempts?: unknown } = {};
  if ("timeout" in row) values.timeout = read(row.timeout);
  if ("attempts" in row) values.attempts = read(row.attempts);
  if ("max_attempts" in row) values.maxAttempts = read(row.max_attempts);
  return values;
}

/**
 * The start-up message of the time features: which are on, and what turns
 * on the others (`alterHint` gives the statement for the missing columns).
 */
export function describeTimeFeatures(
  found: TimeColumnsFound,
  alterHint: (missing: readonly string[]) => string,
): { on: string; off?: string } {
  const features = timeFeatures(found);
  const on = ["job timeouts (config)"];
  if (features.rowTimeout) on.push("per-row timeouts");
  if (features.deferred) on.push("deferred jobs");
  if (features.retries) on.push("retries");
  if (features.rowMaxAttempts) on.push("per-row max_attempts");
  const missing = [
    ...found.delayedStatus ? [] : [`status '${DELAYED_STATUS}'`],
    ...TIME_COLUMNS.filter((column) => !found.columns.has(column)),
  ];
  if (missing.length === 0) return { on: on.join(", ") };
  return { on: on.join(", "), off: alterHint(missing) };
}
