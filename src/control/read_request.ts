/**
 * Reading and checking the data of the control requests (`jobs`, `job`,
 * `stats`, `retry`, `add`), shared by the worker, which runs them, and the
 * master, which routes them. Each function returns typed data or throws a
 * `RequestError` naming the field.
 *
 * Wire shapes (all fields optional unless said):
 * - `jobs`: `{target, status, limit}`
 * - `job`: `{id}` (required)
 * - `retry`: `{ids}` (required, 1 to 1000 ids)
 * - `add`: `{target (required), count, run_at (unix seconds), set: {COLUMN: value}}`
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import type { RequestData } from "../protocol/messages.ts";
import {
  type AddRequest,
  type ColumnValue,
  DEFAULT_JOBS_LIMIT,
  type JobsQuery,
  MAX_ADD_COLUMNS,
  MAX_ADD_COUNT,
  MAX_ADD_VALUE_LENGTH,
  MAX_JOBS_LIMIT,
  MAX_RETRY_IDS,
  QUERY_STATUSES,
  type QueryStatus,
} from "../protocol/control_requests.ts";
import { jsonTypeName } from "../text.ts";

/** The largest job id: the table's `id` is `int(10) UNSIGNED`. */
const MAX_ID = 4294967295;

/** Longest target name the requests accept (the minimal schema's column holds 16). */
const MAX_TARGET_LENGTH = 255;

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new RequestError(`'${field}' must be integer, got ${jsonTypeName(value)}`);
  }
  if (value < min || value > max) {
    throw new RequestError(`'${field}' must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function readTarget(value: unknown): string {
  if (typeof value !== "string") throw new RequestError("'target' must be string");
  if (value === "" || value === "null") throw new RequestError(`invalid target name '${value}'`);
  if (value.length > MAX_TARGET_LENGTH) {
    throw new RequestError(`'target' is longer than ${MAX_TARGET_LENGTH} characters`);
  }
  return value;
}

/** `jobs`: optional `target`, `status` (a known status) and `limit` (1 to 1000, default 20). */
export function readJobsQuery(data: RequestData): JobsQuery {
  const query: JobsQuery = {
    limit: isAbsent(data.limit)
      ? DEFAULT_JOBS_LIMIT
      : readInteger(data.limit, "limit", 1, MAX_JOBS_LIMIT),
  };
  if (!isAbsent(data.target)) query.target = readTarget(data.target);
  if (!isAbsent(data.status)) {
    if (!(QUERY_STATUSES as readonly unknown[]).includes(data.status)) {
      throw new RequestError(
        `'status' must be one of ${QUERY_STATUSES.join(", ")}, got ${
          typeof data.status === "string" ? `'${data.status}'` : jsonTypeName(data.status)
        }`,
      );
    }
    query.status = data.status as QueryStatus;
  }
  return query;
}

/** `job`: the required `id`. */
export function readJobId(data: RequestData): number {
  if (isAbsent(data.id)) throw new RequestError("missing required field id");
  return readInteger(data.id, "id", 1, MAX_ID);
}

/** `retry`: the required `ids`, 1 to 1000 distinct positive integers. */
export function readRetryIds(data: RequestData): number[] {
  const ids = data.ids;
  if (isAbsent(ids)) throw new RequestError("missing required field ids");
  if (!Array.isArray(ids)) throw new RequestError("ids must be array");
  if (ids.length === 0) throw new RequestError("ids are empty");
  if (ids.length > MAX_RETRY_IDS) {
    throw new RequestError(`ids name ${ids.length} jobs, more than ${MAX_RETRY_IDS}`);
  }
  for (const id of ids) {
    if (typeof id !== "number") {
      throw new RequestError(`all ids must be numbers, got ${jsonTypeName(id)}`);
    }
    if (!Number.isInteger(id) || id < 1 || id > MAX_ID) {
      throw new RequestError(`all ids must be positive integers, got ${id}`);
    }
  }
  return [...new Set(ids as number[])];
}

/** The `target` an `add` names: required. */
function readRequiredTarget(data: RequestData): string {
  if (isAbsent(data.target)) throw new RequestError("missing required field target");
  return readTarget(data.target);
}

function readColumnValues(value: unknown): Record<string, ColumnValue> {
  if (isAbsent(value)) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RequestError("'set' must be an object of column name to value");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ADD_COLUMNS) {
    throw new RequestError(`'set' names ${entries.length} columns, more than ${MAX_ADD_COLUMNS}`);
  }
  const values: Record<string, ColumnValue> = {};
  for (const [column, item] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(column)) {
      throw new RequestError(`'set' names an invalid column '${column.slice(0, 80)}'`);
    }
    if (typeof item === "string") {
      if (item.length > MAX_ADD_VALUE_LENGTH) {
        throw new RequestError(
          `the value of column '${column}' is longer than ${MAX_ADD_VALUE_LENGTH} characters`,
        );
      }
    } else if (!(item === null || (typeof item === "number" && Number.isFinite(item)))) {
      throw new RequestError(
        `the value of column '${column}' must be a string, a number or null, got ${
          jsonTypeName(item)
        }`,
      );
    }
    values[column] = item as ColumnValue;
  }
  return values;
}

/** `add`: `target`, `count` (1 to 1000, default 1), `run_at` (unix seconds), `set`. */
export function readAddRequest(data: RequestData): AddRequest {
  const request: AddRequest = {
    target: readRequiredTarget(data),
    count: isAbsent(data.count) ? 1 : readInteger(data.count, "count", 1, MAX_ADD_COUNT),
    values: readColumnValues(data.set),
  };
  if (!isAbsent(data.run_at)) request.runAt = readInteger(data.run_at, "run_at", 0, MAX_ID);
  return request;
}
