/**
 * The dialect-free part of the operators' operations (`job_control.ts`):
 * which columns `add` may set and how its values are checked against the
 * table, the row `add` inserts, the values `retry` resets, how a row read by
 * `job` is made JSON, and how `stats` adds its counts up.
 *
 * @module
 */

import {
  type AddRequest,
  type ColumnValue,
  type DoneCounts,
  type JobSummary,
  MAX_SHOWN_TEXT,
  type TargetStats,
} from "../protocol/control_requests.ts";
import { compareNames, quoteList } from "../text.ts";
import { StorageError } from "./errors.ts";
import type { TableColumn } from "./job_control.ts";
import {
  ATTEMPTS_COLUMN,
  JOBD_WRITTEN_COLUMNS,
  OWNER_COLUMN,
  RUN_AT_COLUMN,
} from "./required_columns.ts";

/** The columns of a table by lower-case name. */
export function columnsByName(columns: readonly TableColumn[]): Map<string, TableColumn> {
  return new Map(columns.map((column) => [column.name.toLowerCase(), column]));
}

/** A row to insert: column names (as the table spells them) and their values. */
export interface InsertRow {
  columns: string[];
  values: (string | number | null)[];
  status: "waiting" | "delayed";
}

/**
 * The row `add` inserts, every value checked against its column. Throws a
 * `ControlRefusal` whose message says what is wrong (the store prefixes what
 * it was doing and the table): an unknown or managed column, a value the
 * column cannot hold, a required column left out, a later run time without
 * the `time_run_at` column or the `delayed` status.
 */
export function insertRow(
  columns: readonly TableColumn[],
  request: AddRequest,
  now: number,
): InsertRow {
  const byName = columnsByName(columns);
  const row: InsertRow = { columns: [], values: [], status: "waiting" };
  const put = (column: TableColumn, value: ColumnValue) => {
    row.columns.push(column.name);
    row.values.push(checkValue(column, value));
  };
  put(byName.get("target")!, request.target);
  const created = byName.get("time_created");
  if (created !== undefined) put(created, now);
  if (request.runAt !== undefined && request.runAt > now) {
    const runAt = byName.get(RUN_AT_COLUMN);
    if (runAt === undefined) {
      throw new ControlRefusal(
        `it has no column '${RUN_AT_COLUMN}', which delayed jobs need (see examples/schema.sql)`,
      );
    }
    const status = byName.get("status")!;
    if (status.values !== undefined && !status.values.includes("delayed")) {
      throw new ControlRefusal(
        "its column 'status' has no value 'delayed', which delayed jobs need " +
          "(see examples/schema.sql)",
      );
    }
    row.status = "delayed";
    put(runAt, request.runAt);
  }
  put(byName.get("status")!, row.status);
  for (const [name, value] of Object.entries(request.values)) {
    const column = byName.get(name.toLowerCase());
    if (column === undefined) throw new ControlRefusal(`it has no column '${name}'`);
    if (JOBD_WRITTEN_COLUMNS.has(name.toLowerCase())) {
      throw new ControlRefusal(`its column '${column.name}' is written by jobd, not by 'add'`);
    }
    if (row.columns.includes(column.name)) {
      throw new ControlRefusal(`column '${column.name}' is given twice`);
    }
    put(column, value);
  }
  const missing = columns.filter((column) => !column.optional && !row.columns.includes(column.name))
    .map((column) => column.name);
  if (missing.length > 0) {
    throw new ControlRefusal(
      `its column${missing.length === 1 ? "" : "s"} ${quoteList(missing)} need${
        missing.length === 1 ? "s" : ""
      } a value (give it with 'set')`,
    );
  }
  return row;
}

/** A value refused by the table's shape: the message reads after "Cannot add jobs to the table: ". */
export class ControlRefusal extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = "ControlRefusal";
  }
}

const INTEGER_TEXT = /^-?\d{1,19}$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** `value` as `column` stores it; throws `ControlRefusal` when it cannot. */
function checkValue(column: TableColumn, value: ColumnValue): string | number | null {
  const refuse = (why: string): never => {
    throw new ControlRefusal(
      `the value ${JSON.stringify(value)} of column '${column.name}' ${why}`,
    );
  };
  if (value === null) {
    if (!column.nullable) refuse("is refused: the column is NOT NULL");
    return null;
  }
  switch (column.kind) {
    case "integer": {
      const text = String(value);
      if (!INTEGER_TEXT.test(text)) refuse("is not an integer");
      const number = Number(text);
      if (!Number.isSafeInteger(number)) refuse("is too large");
      if (column.unsigned && number < 0) refuse("is negative, and the column is UNSIGNED");
      return number;
    }
    case "number": {
      const text = String(value).trim();
      if (!NUMBER_TEXT.test(text)) refuse("is not a number");
      return Number(text);
    }
    case "enum": {
      const text = String(value);
      if (!column.values!.includes(text)) refuse(`is not one of ${quoteList(column.values!)}`);
      return text;
    }
    case "text": {
      const text = String(value);
      if (column.maxLength !== undefined && [...text].length > column.maxLength) {
        refuse(`is longer than the column's ${column.maxLength} characters`);
      }
      return text;
    }
    case "other":
      return typeof value === "number" ? value : String(value);
  }
}

/**
 * The assignments `retry` makes, for a table with `columns`: the row as it
 * was before it was claimed, its owner and attempts cleared when those
 * columns exist.
 */
export function retryAssignments(columns: readonly TableColumn[]): string {
  const byName = columnsByName(columns);
  const parts = [
    "status = 'waiting'",
    "time_started = 0",
    "time_finished = 0",
    "result = NULL",
    "return_code = NULL",
    "sig = NULL",
    "stdout = NULL",
    "stderr = NULL",
  ];
  if (byName.has(OWNER_COLUMN)) parts.push(`${OWNER_COLUMN} = NULL`);
  if (byName.has(ATTEMPTS_COLUMN)) parts.push(`${ATTEMPTS_COLUMN} = 0`);
  return parts.join(", ");
}

/** Why a row found by `retry` is not retried, or undefined when it may be. */
export function retryRefusal(status: string): string | undefined {
  return status === "done" || status === "ignored"
    ? undefined
    : `status = ${status} is not final (done or ignored)`;
}

/** A driver's value as JSON: texts, numbers and null; bytes as UTF-8, dates as ISO text. */
function jsonValue(value: unknown): ColumnValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  }
  if (typeof value === "string") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/** A row as `job` answers it: JSON values, texts over `MAX_SHOWN_TEXT` characters cut. */
export function shownRow(row: Record<string, unknown>): {
  job: Record<string, ColumnValue>;
  truncated?: string[];
} {
  const job: Record<string, ColumnValue> = {};
  const truncated: string[] = [];
  for (const [name, raw] of Object.entries(row)) {
    const value = jsonValue(raw);
    if (typeof value === "string" && value.length > MAX_SHOWN_TEXT) {
      job[name] = value.slice(0, MAX_SHOWN_TEXT);
      truncated.push(name);
    } else {
      job[name] = value;
    }
  }
  return truncated.length > 0 ? { job, truncated } : { job };
}

/** A count per target and status, as the stores read it. */
export interface StatusCount {
  target: string;
  status: string;
  count: number;
  /** The lowest `time_created` of these rows (null without the column). */
  oldest: number | null;
  /** The rows with `attempts` > 0 (absent or null without the column). */
  retried?: number | null;
}

/** Failed rows stopped at their time limit, per target, as the stores read them. */
export interface TimedOutCount {
  target: string;
  hour: number;
  day: number;
}

/** Done rows per target and result, as the stores read them. */
export interface DoneCount {
  target: string;
  result: string | null;
  hour: number;
  day: number;
}

function emptyStats(): TargetStats {
  return {
    waiting: 0,
    delayed: 0,
    manual: 0,
    accepted: 0,
    running: 0,
    lastHour: { ok: 0, fail: 0 },
    lastDay: { ok: 0, fail: 0 },
    timedOut: { lastHour: 0, lastDay: 0 },
    retrying: null,
    oldestWaitingAge: null,
  };
}

const COUNTED: ReadonlySet<string> = new Set([
  "waiting",
  "delayed",
  "manual",
  "accepted",
  "running",
]);

/**
 * Adds the stores' counts up into `stats`' answer, targets by name;
 * `retrying` is counted when the table `hasAttempts`, else null.
 */
export function targetStats(
  statuses: readonly StatusCount[],
  done: readonly DoneCount[],
  now: number,
  timedOut: readonly TimedOutCount[] = [],
  hasAttempts = false,
): Record<string, TargetStats> {
  const byTarget = new Map<string, TargetStats>();
  const of = (target: string) => {
    let stats = byTarget.get(target);
    if (stats === undefined) {
      byTarget.set(target, stats = emptyStats());
      if (hasAttempts) stats.retrying = 0;
    }
    return stats;
  };
  for (const { target, status, count, oldest, retried } of statuses) {
    if (!COUNTED.has(status)) continue;
    const stats = of(target);
    stats[status as "waiting"] += count;
    if (hasAttempts && (status === "waiting" || status === "delayed")) {
      stats.retrying = (stats.retrying ?? 0) + (retried ?? 0);
    }
    if (status === "waiting" && oldest !== null) {
      const age = Math.max(0, now - oldest);
      stats.oldestWaitingAge = Math.max(stats.oldestWaitingAge ?? 0, age);
    }
  }
  for (const { target, result, hour, day } of done) {
    const key: keyof DoneCounts = result === "ok" ? "ok" : "fail";
    const stats = of(target);
    stats.lastHour[key] += hour;
    stats.lastDay[key] += day;
  }
  for (const { target, hour, day } of timedOut) {
    const stats = of(target);
    stats.timedOut.lastHour += hour;
    stats.timedOut.lastDay += day;
  }
  const names = [...byTarget.keys()].sort(compareNames);
  return Object.fromEntries(names.map((name) => [name, byTarget.get(name)!]));
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A row read by `jobs` (`time_created` may be absent) as a `JobSummary`. */
export function summaryOf(row: Record<string, unknown>): JobSummary {
  return {
    id: Number(row.id),
    target: String(row.target),
    status: String(row.status),
    result: (row.result ?? null) as JobSummary["result"],
    code: numberOrNull(row.return_code),
    signal: row.sig === null || row.sig === undefined ? null : String(row.sig),
    created: numberOrNull(row.time_created),
    started: Number(row.time_started ?? 0),
    finished: Number(row.time_finished ?? 0),
  };
}
