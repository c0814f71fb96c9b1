/**
 * The status page's report (`GET /api/status` on the master): its typed
 * shape, and its assembly from what the workers answered. Every value here
 * came from a peer, so each is checked and bounded as it is read; a part
 * that could not be had is reported as such, never thrown.
 *
 * @module
 */

import type { Answer } from "../deadline.ts";
import { isPlainObject } from "../text.ts";
import {
  count,
  readScheduleList,
  readTableCounts,
  record,
  type ScheduleList,
  type ScheduleRow,
  type TargetCounts,
  text,
} from "./worker_answers.ts";

/** Failed rows the report lists. */
export const FAILURES_SHOWN = 20;

/** Characters of a failed job's stderr the report keeps: the end of it. */
export const STDERR_TAIL_CHARS = 2048;

/** The report. Times are unix seconds. */
export interface StatusReport {
  /** When it was gathered. */
  time: number;
  workers: WorkerRow[];
  targets: TargetRow[];
  /** The last failed jobs, newest first. */
  failures: FailureRow[];
  schedules: ScheduleRow[];
  /** Parts that could not be read (a worker that did not answer, say), one text each. */
  problems: string[];
}

/** One registered worker. */
export interface WorkerRow {
  name: string;
  /** `host:port` of the worker's connection to the master. */
  address: string;
  /** When the master last heard anything from it (a pong, an answer, a request). */
  lastHeard: number;
  /** Whether it answered `status` this time. */
  answering: boolean;
  /** Why it did not. */
  error?: string;
  targets: WorkerTargetRow[];
  /** Finished jobs whose row it has not written yet (database unavailable). */
  pendingResultWrites?: number;
}

/** One target of a worker, from its `status`. */
export interface WorkerTargetRow {
  name: string;
  /** Running plus queued jobs; null when the worker did not answer. */
  running: number | null;
  /** `concurrency`; null when the worker did not answer. */
  limit: number | null;
  paused: boolean;
}

/** One target: the table's counts (`stats`) beside the workers serving it. */
export interface TargetRow {
  name: string;
  /** Counts of rows by status; null each when `stats` could not be had. */
  waiting: number | null;
  delayed: number | null;
  /** `waiting` and `delayed` rows that ran before: failed attempts waiting for their retry. */
  retrying: number | null;
  running: number | null;
  /** Rows that finished with result `fail` (or `ok`) in the last hour. */
  failedLastHour: number | null;
  okLastHour: number | null;
  /** Of the failed, those stopped at their time limit. */
  timedOutLastHour: number | null;
  /** Seconds the oldest `waiting` row has waited; null when none waits (or unknown). */
  oldestWaitingAge: number | null;
  /** The workers serving it, by name. */
  workers: string[];
  /** The sum of their concurrency limits (those that answered). */
  limit: number;
  /** The workers on which it is paused. */
  pausedOn: string[];
}

/** One failed job. */
export interface FailureRow {
  id: number;
  target: string;
  code: number | null;
  signal: string | null;
  finished: number;
  /** The end of its stderr (at most `STDERR_TAIL_CHARS`); null when it could not be read. */
  stderrTail: string | null;
  /** Whether `stderrTail` is only the end of a longer text. */
  stderrCut: boolean;
  /** Why the stderr could not be read. */
  error?: string;
}

/** One schedule of the job board (read by worker_answers.ts, as `/metrics` reads it). */
export type { ScheduleRow };

/** The report's one problem while no worker is registered. */
export const NO_WORKER = "no worker is registered: the jobs table is read through one";

/** A worker's answer, or why there is none. */
export type { Answer };

/** A failed job's stderr as the report shows it, or why it could not be read. */
export type StderrTail = { tail: string; cut: boolean } | { error: string };

/** What the master gathered for one report. */
export interface GatheredStatus {
  /** Milliseconds since the epoch, when gathering began. */
  now: number;
  workers: readonly GatheredWorker[];
  /** The `stats` answer. */
  stats: Answer;
  /** The `jobs` answer for the failed rows. */
  failures: Answer;
  /** The stderr of failed jobs, by id. */
  stderr: ReadonlyMap<number, StderrTail>;
  /** The master's `schedules` answer (merged, with `errors` by worker). */
  schedules: Answer;
}

/** One registered worker as the registry knows it, and its `status` answer. */
export interface GatheredWorker {
  name: string;
  address: string;
  targets: readonly string[];
  /** Milliseconds since the epoch. */
  lastHeardAt: number;
  status: Answer;
}

/**
 * The end of a job's stderr, at most `STDERR_TAIL_CHARS` characters (never
 * starting in the middle of a surrogate pair), from a `job` answer.
 */
export function stderrTailOf(answer: unknown): StderrTail {
  const job = record(record(answer).job);
  const stderr = job.stderr;
  if (stderr === null || stderr === undefined) return { tail: "", cut: false };
  if (typeof stderr !== "string") return { error: "the worker's answer has no stderr text" };
  const truncated = record(answer).truncated;
  const cutByWorker = Array.isArray(truncated) && truncated.includes("stderr");
  if (stderr.length <= STDERR_TAIL_CHARS) return { tail: stderr, cut: cutByWorker };
  let start = stderr.length - STDERR_TAIL_CHARS;
  const first = stderr.charCodeAt(start);
  if (first >= 0xdc00 && first <= 0xdfff) start++;
  return { tail: stderr.slice(start), cut: true };
}

/** The rows of a `jobs` answer that the report can show (newest finished first). */
export function failedJobsOf(answer: unknown): Omit<FailureRow, "stderrTail" | "stderrCut">[] {
  const jobs = record(answer).jobs;
  if (!Array.isArray(jobs)) return [];
  const rows: Omit<FailureRow, "stderrTail" | "stderrCut">[] = [];
  for (const job of jobs.slice(0, FAILURES_SHOWN)) {
    if (!isPlainObject(job)) continue;
    const id = count(job.id);
    const target = text(job.target);
    if (id === null || target === undefined) continue;
    const code = typeof job.code === "number" && Number.isSafeInteger(job.code) ? job.code : null;
    rows.push({
      id,
      target,
      code,
      signal: text(job.signal, 32) ?? null,
      finished: count(job.finished) ?? 0,
    });
  }
  return rows.sort((a, b) => b.finished - a.finished || b.id - a.id);
}

function workerRow(worker: GatheredWorker): WorkerRow {
  const row: WorkerRow = {
    name: worker.name,
    address: worker.address,
    lastHeard: Math.floor(worker.lastHeardAt / 1000),
    answering: worker.status.ok,
    targets: [],
  };
  const status = worker.status.ok ? record(worker.status.value) : {};
  if (!worker.status.ok) row.error = worker.status.error;
  const targets = record(status.targets);
  for (const name of worker.targets) {
    const target = Object.hasOwn(targets, name) ? record(targets[name]) : undefined;
    row.targets.push({
      name,
      running: target ? count(target.length) : null,
      limit: target ? count(target.concurrency) : null,
      paused: target?.paused === true,
    });
  }
  const pending = count(status.pendingResultWrites);
  if (pending !== null && pending > 0) row.pendingResultWrites = pending;
  return row;
}

function targetRows(workers: readonly WorkerRow[], stats: Answer): TargetRow[] {
  // An answer without counts is read as a table without rows.
  const counted = (stats.ok ? readTableCounts(stats.value) : undefined) ?? new Map();
  // Who serves each target, gathered once: linear in the targets of all workers.
  const servedBy = new Map<string, { worker: string; target: WorkerRow["targets"][number] }[]>();
  for (const worker of workers) {
    for (const target of worker.targets) {
      const serving = servedBy.get(target.name) ?? [];
      serving.push({ worker: worker.name, target });
      servedBy.set(target.name, serving);
    }
  }
  const names = new Set<string>([...servedBy.keys(), ...counted.keys()]);
  // Retries are counted when the table has `attempts`: then a target without rows has 0.
  const countsRetries = [...counted.values()].some((counts) => counts.retrying !== null);
  return [...names].sort().map((name) => {
    const counts = counted.get(name);
    // A target without rows is not in `stats`: zero, when `stats` answered.
    const read = (key: keyof TargetCounts) => counts ? counts[key] : stats.ok ? 0 : null;
    const row: TargetRow = {
      name,
      waiting: read("waiting"),
      delayed: read("delayed"),
      // Null, not 0, from a table without `attempts` or a worker that does not count them.
      retrying: counts ? counts.retrying : countsRetries ? 0 : null,
      running: read("running"),
      failedLastHour: read("failedLastHour"),
      okLastHour: read("okLastHour"),
      timedOutLastHour: read("timedOutLastHour"),
      oldestWaitingAge: counts ? counts.oldestWaitingAge : null,
      workers: [],
      limit: 0,
      pausedOn: [],
    };
    for (const { worker, target } of servedBy.get(name) ?? []) {
      row.workers.push(worker);
      row.limit += target.limit ?? 0;
      if (target.paused) row.pausedOn.push(worker);
    }
    return row;
  });
}

function failureRows(
  failures: Answer,
  stderr: ReadonlyMap<number, StderrTail>,
): FailureRow[] {
  if (!failures.ok) return [];
  return failedJobsOf(failures.value).map((job) => {
    const output = stderr.get(job.id) ?? { error: "not read" };
    if ("error" in output) {
      return { ...job, stderrTail: null, stderrCut: false, error: output.error };
    }
    return { ...job, stderrTail: output.tail, stderrCut: output.cut };
  });
}

/**
 * Why a part could not be read, without the routing's `stats not done: `
 * (the line already names the part): `worker 'w1' did not answer: ...`.
 */
function partError(error: string, type: string): string {
  const prefix = `${type} not done: `;
  return error.startsWith(prefix) ? error.slice(prefix.length) : error;
}

/** What could not be read, one line each. */
function problemsOf(gathered: GatheredStatus, schedules: ScheduleList | undefined): string[] {
  // Every part is read through a worker: one line says why none could be.
  if (gathered.workers.length === 0) return [NO_WORKER];
  const problems: string[] = [];
  for (const worker of gathered.workers) {
    if (!worker.status.ok) problems.push(`status: ${worker.status.error}`);
  }
  if (!gathered.stats.ok) problems.push(`stats: ${partError(gathered.stats.error, "stats")}`);
  const omitted = gathered.stats.ok ? count(record(gathered.stats.value).omittedTargets) : null;
  if (omitted !== null && omitted > 0) {
    problems.push(
      `stats: ${omitted} more targets with rows are not counted here (the answer lists the ` +
        "busiest)",
    );
  }
  if (!gathered.failures.ok) {
    problems.push(`last failures: ${partError(gathered.failures.error, "jobs")}`);
  }
  if (!gathered.schedules.ok) problems.push(`schedules: ${gathered.schedules.error}`);
  for (const error of schedules?.errors ?? []) problems.push(`schedules: ${error}`);
  return problems;
}

/** The report from what the master gathered. */
export function assembleReport(gathered: GatheredStatus): StatusReport {
  const workers = gathered.workers.map(workerRow);
  const schedules = gathered.schedules.ok ? readScheduleList(gathered.schedules.value) : undefined;
  return {
    time: Math.floor(gathered.now / 1000),
    workers,
    targets: targetRows(workers, gathered.stats),
    failures: failureRows(gathered.failures, gathered.stderr),
    schedules: schedules?.schedules ?? [],
    problems: problemsOf(gathered, schedules),
  };
}
