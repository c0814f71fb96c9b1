/**
 * Readers of the operators' command options: `--status`, `--limit`,
 * `--count`, `--at TIME`, `--in DURATION` and `--set COLUMN=VALUE`. Each
 * throws a `UsageError` that names the option and the value.
 *
 * @module
 */

import {
  MAX_ADD_COUNT,
  MAX_JOBS_LIMIT,
  QUERY_RESULTS,
  QUERY_STATUSES,
  type QueryResult,
  type QueryStatus,
} from "../protocol/control_requests.ts";
import { quoteList } from "../text.ts";
import { isCalendarDate, MAX_ROW_TIME } from "../unix_time.ts";
import { suggestion } from "./did_you_mean.ts";
import { UsageError } from "./usage_error.ts";

/** Reads `--status`: one of the row statuses. */
export function readStatus(command: string, text: string): QueryStatus {
  return readChoice(command, "--status", text, QUERY_STATUSES);
}

/** Reads `--result`: `ok` or `fail` (of `done` rows). */
export function readResult(command: string, text: string): QueryResult {
  return readChoice(command, "--result", text, QUERY_RESULTS);
}

/** `text` when it is one of `choices`; else a usage error naming the option, with a suggestion. */
function readChoice<T extends string>(
  command: string,
  option: string,
  text: string,
  choices: readonly T[],
): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(
    `invalid ${option} '${text}': expected one of ${choices.join(", ")}${
      suggestion(text, choices)
    }`,
    { command },
  );
}

/**
 * The statuses of the rows that may carry each result. `ok` is written only
 * with `done`; a failed attempt with attempts left keeps its `fail` while the
 * row waits for, and runs, its next attempt.
 */
const STATUSES_WITH_RESULT: Record<QueryResult, readonly QueryStatus[]> = {
  ok: ["done"],
  fail: ["done", "delayed", "waiting", "accepted", "running"],
};

/** Refuses `--result R --status S` when no row in status S carries result R. */
export function refuseResultOutsideStatus(
  command: string,
  result: QueryResult,
  status: QueryStatus,
): void {
  const statuses = STATUSES_WITH_RESULT[result];
  if (statuses.includes(status)) return;
  throw new UsageError(
    `--result ${result} and --status ${status} match no row: only ${
      quoteList(statuses)
    } rows have result ${result}`,
    { command },
  );
}

/** Reads an integer option from 1 to `max`. */
export function readBounded(command: string, option: string, text: string, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) {
    throw new UsageError(
      `invalid --${option} '${text}': expected an integer from 1 to ${max}`,
      { command },
    );
  }
  return value;
}

/** Reads `--limit` (1 to 1000). */
export function readLimit(command: string, text: string): number {
  return readBounded(command, "limit", text, MAX_JOBS_LIMIT);
}

/** Reads `--count` (1 to 1000). */
export function readCount(command: string, text: string): number {
  return readBounded(command, "count", text, MAX_ADD_COUNT);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Reads a duration: seconds (`90`), or amounts with units `d`, `h`, `m`, `s` (`1h30m`, `45s`). */
export function readDuration(command: string, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+)([dhms])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) {
    throw new UsageError(
      `invalid --in '${text}': expected a duration such as 90s, 5m, 1h30m or 2d`,
      { command },
    );
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_SECONDS[part[2]], 0);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Reads `--at`: unix seconds, or a date and time (`2026-12-24 18:00`,
 * `2026-12-24T18:00:00Z`, `2026-12-24T18:00+01:00`); without an offset the
 * time is the local time.
 */
export function readTime(command: string, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const millis = ISO_TIME.test(text) && isCalendarDate(text)
    ? Date.parse(text.replace(" ", "T"))
    : NaN;
  if (Number.isNaN(millis)) {
    throw new UsageError(
      `invalid --at '${text}': expected a time such as '2026-12-24 18:00', ` +
        `'2026-12-24T18:00:00Z' or unix seconds`,
      { command },
    );
  }
  return Math.floor(millis / 1000);
}

/**
 * When an added job may run, from `--at` or `--in` (not both), at the latest
 * when a job row's `time_run_at` holds; undefined: at once.
 */
export function readRunAt(
  command: string,
  options: { at?: string; in?: string },
  now: number,
): number | undefined {
  if (options.at !== undefined && options.in !== undefined) {
    throw new UsageError("give --at or --in, not both", { command });
  }
  if (options.at !== undefined) {
    const at = readTime(command, options.at);
    if (at < 0 || at > MAX_ROW_TIME) {
      throw new UsageError(
        `invalid --at '${options.at}': expected a time from ${utcText(0)} to ${
          utcText(MAX_ROW_TIME)
        } (unix seconds 0 to ${MAX_ROW_TIME}, what a job row holds)`,
        { command },
      );
    }
    return at;
  }
  if (options.in !== undefined) {
    const seconds = readDuration(command, options.in);
    const longest = Math.max(0, MAX_ROW_TIME - now);
    if (seconds > longest) {
      throw new UsageError(
        `invalid --in '${options.in}': expected at most ${longest} seconds (about ${
          Math.floor(longest / 86_400)
        }d), so that the job runs by ${utcText(MAX_ROW_TIME)}, the latest time a job row holds`,
        { command },
      );
    }
    return now + seconds;
  }
  return undefined;
}

/** Unix seconds as `2106-02-07 06:28:15 UTC`. */
function utcText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
}

/** Reads the `--set COLUMN=VALUE` options into column values (text; the worker checks types). */
export function readColumnValues(
  command: string,
  texts: readonly string[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const text of texts) {
    const equals = text.indexOf("=");
    const column = equals === -1 ? "" : text.slice(0, equals);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) {
      throw new UsageError(`invalid --set '${text}': expected COLUMN=VALUE`, { command });
    }
    if (column in values) {
      throw new UsageError(`column '${column}' is set twice`, { command });
    }
    values[column] = text.slice(equals + 1);
  }
  return values;
}
