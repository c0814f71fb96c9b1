/**
 * Reading and checking the data of worker and master requests
 * (docs/protocol.md), the one validator both daemons use. Each function
 * returns typed data or throws a `RequestError` whose text the client sees;
 * the texts that clients of the older daemons match are kept word for word.
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import {
  characterCount,
  nameCharacterProblem,
  quoteTargetName,
  targetNameProblem,
} from "../target_names.ts";
import { isPlainObject, jsonTypeName } from "../text.ts";
import { MAX_ROW_TIME } from "../unix_time.ts";
import { quoteWorkerName } from "../worker_names.ts";
import {
  MAX_LIST_ITEMS,
  MAX_TARGET_CONCURRENCY,
  MAX_WORKER_NAME_LENGTH,
  tooManyItems,
} from "./limits.ts";
import type { RequestData } from "./messages.ts";
import { MAX_SCHEDULE_NAME_LENGTH, type TargetedJob, type TargetedSignal } from "./requests.ts";
import { parseSignal } from "./signals.ts";
import { readJobIdEntries } from "./job_id_maps.ts";
export { readExpectedTargets } from "./job_id_maps.ts";
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
  QUERY_RESULTS,
  QUERY_STATUSES,
  STATS_ONLY,
} from "./control_requests.ts";

/**
 * The largest job id a request or jobctl names: the largest whole number
 * JavaScript holds exactly (2^53 − 1), which is also the largest id a worker
 * claims, so every job that runs can be shown, retried or signalled. The
 * older schema's `int(10) UNSIGNED` stops at 4,294,967,295; a `BIGINT` goes on.
 */
export const MAX_JOB_ID = Number.MAX_SAFE_INTEGER;

/** What `register-worker` carries. */
export interface WorkerRegistration {
  name: string;
  targets: string[];
}

/** Checks one target name of a list; throws a `RequestError` when it is refused. */
export type TargetCheck = (target: string) => void;

/**
 * A target name as the master checks a listed one and the operators'
 * requests (`jobs`, `add`) their `target`: as {@linkcode checkedTarget},
 * and a name any target may have (src/target_names.ts: bounded, no control
 * characters), as the worker's config and `add-target` allow, else
 * `invalid target name 'X': why`.
 */
function validTargetName(value: unknown): string {
  const target = checkedTarget(value);
  const why = targetNameProblem(target);
  if (why !== undefined) {
    throw new RequestError(`invalid target name ${quoteTargetName(target)}: ${why}`);
  }
  return target;
}

/** Whether a field is left out: absent, or `null` as some clients send it. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** The value of `field`, which must be there: `missing required field FIELD` when it is absent. */
function required(data: Readonly<Record<string, unknown>>, field: string): unknown {
  const value = data[field];
  if (isAbsent(value)) throw new RequestError(`missing required field ${field}`);
  return value;
}

/**
 * Checks a list of target names: an array of strings, each passing `check`
 * in turn (a name the worker serves; for the master, a valid name), at most
 * {@linkcode MAX_LIST_ITEMS} of them. Duplicates are dropped.
 */
function readTargetList(
  value: unknown,
  options: { allowEmpty: boolean; check: TargetCheck },
): string[] {
  if (!Array.isArray(value)) throw new RequestError("targets must be array");
  if (value.length === 0 && !options.allowEmpty) throw new RequestError("targets are empty");
  if (value.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("targets", value.length));
  for (const target of value) {
    if (typeof target !== "string") {
      throw new RequestError(`all targets must be strings, ${jsonTypeName(target)} given`);
    }
    options.check(target);
  }
  return [...new Set(value as string[])];
}

/**
 * `poll`, `pause`, `continue` (worker and master): `targets` when given, not
 * empty; `undefined` means all. `check` refuses a name: by default one no
 * target may have; the worker passes {@linkcode servedTarget}.
 */
export function readOptionalTargets(
  data: RequestData,
  check: TargetCheck = validTargetName,
): string[] | undefined {
  if (isAbsent(data.targets)) return undefined;
  return readTargetList(data.targets, { allowEmpty: false, check });
}

/** The worker's check of a listed target: `invalid target 'X'` unless `served` has it. */
export function servedTarget(served: { has(name: string): boolean }): TargetCheck {
  return (target) => {
    if (!served.has(target)) throw new RequestError(`invalid target ${quoteTargetName(target)}`);
  };
}

/**
 * `register-worker`: a non-empty `name` of at most `MAX_WORKER_NAME_LENGTH`
 * characters, without control or invisible characters (`invalid worker name
 * 'X': why`, src/worker_names.ts), and a (possibly empty) `targets` array of valid names.
 */
export function readRegistration(data: RequestData): WorkerRegistration {
  if (typeof data.name !== "string" || data.name.trim() === "") {
    throw new RequestError("name is missing or invalid");
  }
  const length = characterCount(data.name);
  if (length > MAX_WORKER_NAME_LENGTH) {
    throw new RequestError(
      `'name' has ${length} characters: at most ${MAX_WORKER_NAME_LENGTH}`,
    );
  }
  // Blank and long names are refused above with the older texts; the characters are left.
  const why = nameCharacterProblem(data.name);
  if (why !== undefined) {
    throw new RequestError(`invalid worker name ${quoteWorkerName(data.name)}: ${why}`);
  }
  return {
    name: data.name,
    targets: readTargetList(required(data, "targets"), {
      allowEmpty: true,
      check: validTargetName,
    }),
  };
}

/** Master `poke`: `targets` is required, not empty, valid names. */
export function readPokeTargets(data: RequestData): string[] {
  return readTargetList(required(data, "targets"), { allowEmpty: false, check: validTargetName });
}

/** Master `status`: `poll_workers` as a boolean (`true`/`false`, also `1`/`0`); absent is false. */
export function readPollWorkers(data: RequestData): boolean {
  const value = data.poll_workers;
  if (isAbsent(value) || value === false || value === 0) return false;
  if (value === true || value === 1) return true;
  throw new RequestError(`'poll_workers' must be boolean, ${jsonTypeName(value)} given`);
}

/**
 * Worker `add-target`, `remove-target`, `set-target-concurrency`: the
 * `target` field, a name any target may have (not empty, not `null`, no
 * control or invisible characters...).
 */
export function readTargetName(data: RequestData): string {
  if (data.target === undefined) throw new RequestError("missing required field target");
  return validTargetName(data.target);
}

/** A `target` field's value: a string, not empty, not `null`. */
function checkedTarget(value: unknown): string {
  if (typeof value !== "string") throw new RequestError("'target' must be string");
  if (value === "" || value === "null") throw new RequestError(`invalid target name '${value}'`);
  return value;
}

/** Why `name` cannot be a target (src/target_names.ts); undefined when it can. */
export type TargetNameProblem = (name: string) => string | undefined;

/**
 * Worker `add-target`: the `target` field as {@linkcode readTargetName} reads
 * it, refused with `invalid target name 'X': why` when `problem` gives a
 * reason. By default the rules every target name follows; the worker passes
 * its table's check (a name its `target` column cannot hold never claims a job).
 */
export function readNewTargetName(
  data: RequestData,
  problem: TargetNameProblem = targetNameProblem,
): string {
  const name = readTargetName(data);
  const why = problem(name);
  if (why !== undefined) {
    throw new RequestError(`invalid target name ${quoteTargetName(name)}: ${why}`);
  }
  return name;
}

/**
 * Worker `add-target`, `set-target-concurrency`: `concurrency`, an integer
 * from 1 to {@linkcode MAX_TARGET_CONCURRENCY}.
 */
export function readConcurrency(data: RequestData): number {
  const value = data.concurrency;
  if (value === undefined) throw new RequestError("missing required field concurrency");
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new RequestError("'concurrency' must be integer");
  }
  if (value < 1) throw new RequestError(`'concurrency' must be at least 1, got ${value}`);
  if (value > MAX_TARGET_CONCURRENCY) {
    throw new RequestError(
      `'concurrency' must be at most ${MAX_TARGET_CONCURRENCY}, got ${value}`,
    );
  }
  return value;
}

/**
 * Worker `run-manual`: `ids`, a non-empty array of positive integers, at most
 * {@linkcode MAX_LIST_ITEMS}.
 */
export function readJobIds(data: RequestData): number[] {
  return readIdList(data, { maxId: MAX_JOB_ID });
}

/**
 * The `ids` field: a non-empty array of positive integers up to `maxId`, at
 * most `maxCount` of them when given.
 */
export function readIdList(
  data: RequestData,
  limits: { maxId: number; maxCount?: number },
): number[] {
  const ids = data.ids;
  if (isAbsent(ids)) throw new RequestError("missing required field ids");
  if (!Array.isArray(ids)) throw new RequestError("ids must be array");
  if (ids.length === 0) throw new RequestError("ids are empty");
  if (ids.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("ids", ids.length));
  if (limits.maxCount !== undefined && ids.length > limits.maxCount) {
    throw new RequestError(`ids name ${ids.length} jobs, more than ${limits.maxCount}`);
  }
  for (const id of ids) {
    if (typeof id !== "number") {
      throw new RequestError(`all ids must be numbers, got ${jsonTypeName(id)}`);
    }
    if (!Number.isSafeInteger(id) || id < 1 || id > limits.maxId) {
      throw new RequestError(`all ids must be positive integers, got ${id}`);
    }
  }
  return ids;
}

/** Longest signal text quoted back in an error. */
const MAX_QUOTED_SIGNAL = 40;

/**
 * The signal `send-signal` asks for job `jobId` (worker and master): a name
 * with or without `SIG`, in any case, or a Linux signal number (signals.ts).
 *
 * @throws {RequestError} naming the value and the job when it is not a
 *   name or a number, or names no signal this system has
 */
export function readSignal(value: unknown, jobId: number | string): Deno.Signal {
  if (typeof value !== "string" && typeof value !== "number") {
    throw new RequestError(
      `the signal for job ${jobId} must be a name or a number, ${jsonTypeName(value)} given`,
    );
  }
  const signal = parseSignal(value);
  if (signal === undefined) {
    const text = String(value);
    const quoted = text.length > MAX_QUOTED_SIGNAL
      ? `${text.slice(0, MAX_QUOTED_SIGNAL)}...`
      : text;
    throw new RequestError(`unknown signal '${quoted}' for job ${jobId}`);
  }
  return signal;
}

/**
 * Worker `send-signal`: `jobs`, an object of job id to signal (absent: none),
 * each signal read by {@linkcode readSignal}: one the worker does not know,
 * or a key that is no job id, refuses the whole request, naming it.
 */
export function readSignalMap(data: RequestData): Record<string, Deno.Signal> {
  const signals: Record<string, Deno.Signal> = {};
  for (const [id, value] of readJobIdEntries(data, "jobs", "signal")) {
    signals[id] = readSignal(value, id);
  }
  return signals;
}

/**
 * Master `run-manual` and `send-signal`: `jobs`, an array of objects, at most
 * {@linkcode MAX_LIST_ITEMS}.
 */
function readJobItems(data: RequestData): Record<string, unknown>[] {
  const jobs = data.jobs;
  if (!Array.isArray(jobs)) throw new RequestError("jobs must be array");
  if (jobs.length > MAX_LIST_ITEMS) throw new RequestError(tooManyItems("jobs", jobs.length));
  for (const job of jobs) {
    if (!isPlainObject(job)) {
      throw new RequestError(`every job must be an object, ${jsonTypeName(job)} given`);
    }
  }
  return jobs;
}

function readTargetedJob(job: Record<string, unknown>): TargetedJob {
  const id = required(job, "id");
  if (typeof id !== "number" || !Number.isInteger(id)) {
    throw new RequestError("'id' must be integer");
  }
  if (id < 1) throw new RequestError(`'id' must be positive, got ${id}`);
  if (id > MAX_JOB_ID) throw new RequestError(`'id' must be at most ${MAX_JOB_ID}, got ${id}`);
  const target = required(job, "target");
  if (typeof target !== "string" || target === "") {
    throw new RequestError("'target' must be string");
  }
  validTargetName(target);
  return { id, target };
}

/** Master `run-manual`: `jobs` is an array of `{id: int, target: string}`, valid names. */
export function readTargetedJobs(data: RequestData): TargetedJob[] {
  return readJobItems(data).map(readTargetedJob);
}

/**
 * Master `send-signal`: `jobs` is an array of `{id: int, signal, target: string}`;
 * `signal` is an integer or a signal name such as `SIGTERM` or `term`, of a
 * signal this system has ({@linkcode readSignal}); it is forwarded as given.
 */
export function readTargetedSignals(data: RequestData): TargetedSignal[] {
  return readJobItems(data).map((job) => {
    const routed = readTargetedJob(job);
    const signal = required(job, "signal");
    const isInteger = typeof signal === "number" && Number.isInteger(signal);
    const isName = typeof signal === "string" && /^[A-Za-z][A-Za-z0-9+-]*$/.test(signal);
    if (!isInteger && !isName) throw new RequestError("'signal' must be integer");
    readSignal(signal, routed.id);
    return { ...routed, signal };
  });
}

// The operators' requests (`jobs`, `job`, `stats`, `retry`, `add`), checked
// alike by the worker, which runs them, and the master, which routes them
// (`stats`' `only` is the worker's own). Wire shapes (fields optional unless said):
// - `jobs`: `{target, status, limit}`
// - `stats`: `{only: "waiting"}`
// - `job`: `{id}` (required)
// - `retry`: `{ids}` (required, 1 to MAX_RETRY_IDS ids)
// - `add`: `{target (required), count, run_at (unix seconds), set: {COLUMN: value}}`

function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new RequestError(`'${field}' must be integer, got ${jsonTypeName(value)}`);
  }
  if (value < min || value > max) {
    throw new RequestError(`'${field}' must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** `value` when it is one of `choices`; else an error naming `field` and the choices. */
function readOneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if ((choices as readonly unknown[]).includes(value)) return value as T;
  throw new RequestError(
    `'${field}' must be one of ${choices.join(", ")}, got ${
      typeof value === "string" ? `'${value}'` : jsonTypeName(value)
    }`,
  );
}

/**
 * `jobs`: optional `target`, `status` (a known status), `result` (`ok` or
 * `fail`) and `limit` (1 to 1000, default 20).
 */
export function readJobsQuery(data: RequestData): JobsQuery {
  const query: JobsQuery = {
    limit: isAbsent(data.limit)
      ? DEFAULT_JOBS_LIMIT
      : readInteger(data.limit, "limit", 1, MAX_JOBS_LIMIT),
  };
  if (!isAbsent(data.target)) query.target = validTargetName(data.target);
  if (!isAbsent(data.status)) query.status = readOneOf(data.status, "status", QUERY_STATUSES);
  if (!isAbsent(data.result)) query.result = readOneOf(data.result, "result", QUERY_RESULTS);
  return query;
}

/** `stats`: optional `only` (`waiting`: the waiting rows of the worker's targets alone). */
export function readStatsQuery(data: RequestData): { only?: (typeof STATS_ONLY)[number] } {
  return isAbsent(data.only) ? {} : { only: readOneOf(data.only, "only", STATS_ONLY) };
}

/** `job`: the required `id`, 1 to `MAX_JOB_ID`. */
export function readJobId(data: RequestData): number {
  return readInteger(required(data, "id"), "id", 1, MAX_JOB_ID);
}

/** `retry`: the required `ids`, 1 to `MAX_RETRY_IDS` positive integers; duplicates dropped. */
export function readRetryIds(data: RequestData): number[] {
  return [...new Set(readIdList(data, { maxId: MAX_JOB_ID, maxCount: MAX_RETRY_IDS }))];
}

function readColumnValues(value: unknown): Record<string, ColumnValue> {
  if (isAbsent(value)) return {};
  if (!isPlainObject(value)) {
    throw new RequestError("'set' must be an object of column name to value");
  }
  const entries = Object.entries(value);
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

/** `add`: `target` (required), `count` (1 to 1000, default 1), `run_at` (unix seconds), `set`. */
export function readAddRequest(data: RequestData): AddRequest {
  const request: AddRequest = {
    target: validTargetName(required(data, "target")),
    count: isAbsent(data.count) ? 1 : readInteger(data.count, "count", 1, MAX_ADD_COUNT),
    values: readColumnValues(data.set),
  };
  if (!isAbsent(data.run_at)) request.runAt = readInteger(data.run_at, "run_at", 0, MAX_ROW_TIME);
  return request;
}

/**
 * `schedule-run`, `schedule-pause`, `schedule-resume` (worker and master):
 * `name`, a schedule name of 1 to {@linkcode MAX_SCHEDULE_NAME_LENGTH} characters.
 */
export function readScheduleName(data: RequestData): string {
  const name = required(data, "name");
  if (typeof name !== "string") {
    throw new RequestError(`'name' must be string, ${jsonTypeName(name)} given`);
  }
  if (name === "" || name.length > MAX_SCHEDULE_NAME_LENGTH) {
    throw new RequestError(
      `'name' must be a schedule name of 1 to ${MAX_SCHEDULE_NAME_LENGTH} characters`,
    );
  }
  return name;
}
