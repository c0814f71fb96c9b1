/**
 * An in-memory `JobStore` for the worker's unit tests: the transitions of
 * the real stores (guarded by status, and by owner when the table tracks
 * owners), their argument checks and errors (it is a `JobStoreBase`), and it
 * passes the storage conformance suite like them
 * (tests/storage_memory_test.ts). A test can hold or fail its operations:
 * `hold(op)` makes the next call wait until the test lets it go,
 * `fail(op, error, phase)` makes it throw before its change or after it (a
 * commit whose reply was lost), `down` fails every call as if the database
 * were away. A table made with `timeColumns` has the optional columns of
 * deferred jobs, timeouts and retries (`time_run_at`, `timeout`, `attempts`,
 * `max_attempts`, status `delayed`), with the schema files' defaults.
 *
 * @module
 */

import type { ClaimedJob, JobOutcome, JobStatus } from "../../src/job.ts";
import { MAX_ATTEMPTS_LIMIT } from "../../src/config/job_policy.ts";
import { DELAYED_COUNT_LIMIT } from "../../src/protocol/requests.ts";
import type {
  DelayedSummary,
  FinishedJob,
  LeftBehindJob,
  ManualClaim,
} from "../../src/storage/job_store.ts";
import { judgeManualRows } from "../../src/storage/manual_claim_outcome.ts";
import { markStarting } from "../../src/storage/start_now.ts";
import { LIFE_COLUMNS, OWNER_COLUMN } from "../../src/storage/required_columns.ts";
import {
  JobStoreBase,
  type StoreContext,
  type StoreOperations,
} from "../../src/storage/store_base.ts";
import {
  rowValueColumns,
  TIME_COLUMNS,
  type TimeColumnsFound,
  toRowTimeValues,
} from "../../src/storage/time_columns.ts";
import { messageOf } from "../../src/text.ts";
import type { ColumnValue, JobRow } from "./jobs_table.ts";

/** The operations of a JobStore, by name. */
export type Operation =
  | "claimWaiting"
  | "claimManual"
  | "markRunning"
  | "markDone"
  | "markRunningAndDone"
  | "release"
  | "findLeftBehind"
  | "markRetry"
  | "promoteDelayed"
  | "countDelayed"
  | "ping";

/** Runs before ("before") or after ("after") an operation's change; may wait or throw. */
export type Hook = (phase: "before" | "after") => Promise<void> | void;

/**
 * A row in memory: the columns every table has, and the optional time
 * columns with the schema files' defaults (read and set only where the table
 * has them).
 */
export interface MemoryRow extends JobRow {
  time_run_at: number;
  timeout: number | null;
  attempts: number;
  max_attempts: number | null;
}

/** The columns of `JobRow` an application may set with `setColumns`. */
const JOB_ROW_COLUMNS: ReadonlySet<string> = new Set(["target", ...LIFE_COLUMNS, OWNER_COLUMN]);

/** Options of a {@linkcode MemoryTable}. */
export interface MemoryTableOptions {
  /** With the optional time columns and status `delayed` (the schema files'). Default false. */
  timeColumns?: boolean;
}

/** The rows of one jobs table in memory, shared by the stores opened on it. */
export class MemoryTable {
  /** The table's name, for error messages. */
  readonly name = "jobs";
  readonly rows = new Map<number, MemoryRow>();
  /** Which optional time columns the table has, as a real store finds them at open. */
  readonly time: TimeColumnsFound;
  #nextId = 1;

  constructor(options: MemoryTableOptions = {}) {
    const withTime = options.timeColumns ?? false;
    this.time = { columns: new Set(withTime ? TIME_COLUMNS : []), delayedStatus: withTime };
  }

  /** Inserts `count` rows of `target` in `status`; returns their ids, ascending. */
  insert(target: string, count = 1, status: JobStatus = "waiting"): number[] {
    return Array.from({ length: count }, () => {
      const id = this.#nextId++;
      this.rows.set(id, {
        id,
        target,
        status,
        time_started: 0,
        time_finished: 0,
        result: null,
        return_code: null,
        sig: null,
        stdout: null,
        stderr: null,
        worker: null,
        time_run_at: 0,
        timeout: null,
        attempts: 0,
        max_attempts: null,
      });
      return id;
    });
  }

  /** Copies of the rows with the given ids (all rows when omitted), by id, as `JobRow`s. */
  read(ids?: readonly number[]): JobRow[] {
    return this.#select(ids).map((row) => {
      const { time_run_at: _, timeout: _t, attempts: _a, max_attempts: _m, ...jobRow } = row;
      return jobRow;
    });
  }

  /** Sets columns of the rows `ids` as an application would; a column the table lacks throws. */
  setColumns(ids: readonly number[], values: Record<string, ColumnValue>): void {
    for (const column of Object.keys(values)) this.#checkColumn(column);
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row !== undefined) Object.assign(row, values);
    }
  }

  /** The values of `columns` of the rows `ids`, by id, each with its `id`. */
  readColumns(ids: readonly number[], columns: readonly string[]): Record<string, unknown>[] {
    for (const column of columns) this.#checkColumn(column);
    return this.#select(ids).map((row) => {
      const values: Record<string, unknown> = { id: row.id };
      for (const column of columns) values[column] = row[column as keyof MemoryRow];
      return values;
    });
  }

  /** The rows with the given ids (all rows when omitted), by id (the table's own objects). */
  #select(ids?: readonly number[]): MemoryRow[] {
    const wanted = ids === undefined ? undefined : new Set(ids);
    return [...this.rows.values()]
      .filter((row) => wanted === undefined || wanted.has(row.id))
      .sort((a, b) => a.id - b.id);
  }

  #checkColumn(column: string): void {
    if (JOB_ROW_COLUMNS.has(column) || this.time.columns.has(column)) return;
    throw new Error(`table '${this.name}' of memory has no column '${column}'`);
  }
}

/** What a test sees of a store's calls, and how it holds or fails them. */
class Controls {
  readonly calls: Operation[] = [];
  readonly markRunningCalls: number[][] = [];
  readonly claimWaitingCalls: [string, number][][] = [];
  readonly claimStartNow: [string, number][][] = [];
  readonly claimManualStartNow: [string, number][][] = [];
  readonly markDoneCalls: number[][] = [];
  readonly markRunningAndDoneCalls: { starting: number[]; done: number[] }[] = [];
  down = false;
  readonly hooks = new Map<Operation, Hook[]>();
  readonly reached = new Map<Operation, PromiseWithResolvers<void>>();

  async enter(operation: Operation): Promise<Hook | undefined> {
    this.calls.push(operation);
    this.reached.get(operation)?.resolve();
    this.reached.delete(operation);
    if (this.down) throw connectionLost();
    const hook = this.hooks.get(operation)?.shift();
    await hook?.("before");
    return hook;
  }
}

interface MemoryContext extends StoreContext {
  readonly table: MemoryTable;
  readonly controls: Controls;
}

/** A driver error that means "the database is away": worth a retry. */
export function connectionLost(): Error {
  return Object.assign(new Error("connection lost"), { code: "ECONNRESET" });
}

/** Whether this store may change `row`: always, or when it owns the row (owners tracked). */
function mine(context: MemoryContext, row: JobRow): boolean {
  return !context.tracksOwner || row.worker === context.workerName;
}

/** `job` with the row's per-row time values, for the columns the table has (as the SQL stores). */
function withRowValues<J extends { id: number }>(context: MemoryContext, job: J): J {
  const columns = rowValueColumns(context.time.columns);
  const row = context.table.rows.get(job.id);
  if (columns.length === 0 || row === undefined) return job;
  return {
    ...job,
    row: toRowTimeValues(Object.fromEntries(columns.map((c) => [c, row[c as keyof MemoryRow]]))),
  };
}

/** `markRunning`'s changes; the ids left untouched. */
function setRunning(context: MemoryContext, ids: readonly number[], startedAt: number): number[] {
  const untouched: number[] = [];
  for (const id of ids) {
    const row = context.table.rows.get(id);
    if (row === undefined || !mine(context, row)) untouched.push(id);
    else if (row.status === "accepted") {
      Object.assign(row, { status: "running", time_started: startedAt });
      if (context.time.columns.has("attempts")) {
        row.attempts = Math.min(row.attempts + 1, MAX_ATTEMPTS_LIMIT);
      }
    } // The same call again after a lost reply: the row is ours.
    else if (row.status !== "running" || row.time_started !== startedAt) untouched.push(id);
  }
  return untouched;
}

/** The columns an attempt's end writes. */
function outcomeColumns(finishedAt: number, outcome: JobOutcome) {
  return {
    time_finished: finishedAt,
    result: outcome.result,
    return_code: outcome.code,
    sig: outcome.signal,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
  };
}

/** `markDone`'s changes; the ids left untouched. */
function writeEnds(context: MemoryContext, jobs: readonly FinishedJob[]): number[] {
  const untouched: number[] = [];
  for (const { id, outcome, finishedAt } of jobs) {
    const row = context.table.rows.get(id);
    if (row === undefined || !mine(context, row)) untouched.push(id);
    else if (row.status === "running") {
      Object.assign(row, { status: "done", ...outcomeColumns(finishedAt, outcome) });
    } else {
      // The same call again after a lost reply: the row is ours.
      const same = row.status === "done" && row.time_finished === finishedAt &&
        row.result === outcome.result && row.return_code === outcome.code &&
        row.sig === outcome.signal;
      if (!same) untouched.push(id);
    }
  }
  return untouched;
}

const OPERATIONS: StoreOperations<MemoryContext> = {
  async claimWaiting(context, limits, startNow, startedAt) {
    const hook = await context.controls.enter("claimWaiting");
    context.controls.claimWaitingCalls.push([...limits]);
    context.controls.claimStartNow.push([...startNow]);
    const claimed: ClaimedJob[] = [];
    for (const [target, limit] of limits) {
      const rows = context.table.read().filter((row) =>
        row.target === target && row.status === "waiting"
      );
      for (const { id } of rows.slice(0, limit)) {
        claimed.push(withRowValues(context, { id, target, origin: "waiting" }));
      }
    }
    const starting = new Set(markStarting(claimed, startNow, startedAt));
    for (const { id } of claimed) {
      const row = context.table.rows.get(id)!;
      row.status = "accepted";
      if (context.tracksOwner) row.worker = context.workerName;
      if (starting.has(id)) setRunning(context, [id], startedAt);
    }
    await hook?.("after");
    return claimed;
  },

  async claimManual(context, ids, servedTargets, startNow, startedAt, expectedTargets) {
    const hook = await context.controls.enter("claimManual");
    context.controls.claimManualStartNow.push([...startNow]);
    const unique = [...new Set(ids)];
    const found = new Map(context.table.read(unique).map((row) => [row.id, row]));
    const outcome = judgeManualRows(unique, found, servedTargets, expectedTargets);
    const claimed = outcome.claimed.map((job) => withRowValues(context, job));
    const starting = new Set(markStarting(claimed, startNow, startedAt));
    for (const id of outcome.ignored) context.table.rows.get(id)!.status = "ignored";
    for (const { id } of claimed) {
      const row = context.table.rows.get(id)!;
      row.status = "accepted";
      if (context.tracksOwner) row.worker = context.workerName;
      if (starting.has(id)) setRunning(context, [id], startedAt);
    }
    await hook?.("after");
    return { claimed, errors: outcome.errors } satisfies ManualClaim;
  },

  async markRunning(context, ids, startedAt) {
    const hook = await context.controls.enter("markRunning");
    context.controls.markRunningCalls.push([...ids]);
    const untouched = setRunning(context, ids, startedAt);
    await hook?.("after");
    return untouched;
  },

  async markDone(context, jobs: readonly FinishedJob[]) {
    // Recorded as the call is made, before any wait.
    context.controls.markDoneCalls.push(jobs.map((job) => job.id));
    const hook = await context.controls.enter("markDone");
    const untouched = writeEnds(context, jobs);
    await hook?.("after");
    return untouched;
  },

  async markRunningAndDone(context, starting, startedAt, done) {
    context.controls.markRunningAndDoneCalls.push({
      starting: [...starting],
      done: done.map((job) => job.id),
    });
    const hook = await context.controls.enter("markRunningAndDone");
    const changes = {
      notAccepted: setRunning(context, starting, startedAt),
      notRunning: writeEnds(context, done),
    };
    await hook?.("after");
    return changes;
  },

  async releaseJobs(context, jobs, from) {
    const hook = await context.controls.enter("release");
    const kept: number[] = [];
    const status = from === "marked" ? "running" : from;
    for (const { id, origin, startedAt } of jobs) {
      const row = context.table.rows.get(id);
      const markedElsewhere = from === "marked" && startedAt !== undefined &&
        row?.time_started !== startedAt;
      if (row === undefined || row.status !== status || !mine(context, row) || markedElsewhere) {
        kept.push(id);
      } else {
        Object.assign(row, { status: origin, worker: null });
        // The mark counted an attempt whose process never started (not at the limit: saturated).
        const counted = row.attempts > 0 && row.attempts < MAX_ATTEMPTS_LIMIT;
        if (from === "marked" && context.time.columns.has("attempts") && counted) row.attempts--;
      }
    }
    await hook?.("after");
    return kept;
  },

  async findLeftBehind(context) {
    const hook = await context.controls.enter("findLeftBehind");
    const found: LeftBehindJob[] = [];
    if (context.tracksOwner) {
      for (const row of context.table.read()) {
        if (row.worker !== context.workerName) continue;
        if (row.status === "accepted" || row.status === "running") {
          found.push(withRowValues(context, {
            id: row.id,
            target: row.target,
            status: row.status,
            ...row.status === "running" ? { startedAt: row.time_started } : {},
          }));
        }
      }
    }
    await hook?.("after");
    return found;
  },

  async markRetry(context, jobs) {
    const hook = await context.controls.enter("markRetry");
    const untouched: number[] = [];
    for (const { id, outcome, finishedAt, retryAt } of jobs) {
      const row = context.table.rows.get(id);
      if (row === undefined || !mine(context, row)) untouched.push(id);
      else if (row.status === "running") {
        Object.assign(row, {
          status: "delayed",
          time_run_at: retryAt!,
          ...outcomeColumns(finishedAt, outcome),
        });
      } else {
        // The same call again after a lost reply: the row is ours.
        const same = row.status === "delayed" && row.time_run_at === retryAt &&
          row.time_finished === finishedAt;
        if (!same) untouched.push(id);
      }
    }
    await hook?.("after");
    return untouched;
  },

  async promoteDelayed(context, targets, now, limit) {
    const hook = await context.controls.enter("promoteDelayed");
    const wanted = new Set(targets);
    const due = [...context.table.rows.values()]
      .filter((row) => row.status === "delayed" && wanted.has(row.target) && row.time_run_at <= now)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit);
    for (const row of due) row.status = "waiting";
    await hook?.("after");
    return due.length;
  },

  async countDelayed(context, targets) {
    const hook = await context.controls.enter("countDelayed");
    const summaries = new Map<string, DelayedSummary>();
    for (const target of targets) {
      const runAt = [...context.table.rows.values()]
        .filter((row) => row.status === "delayed" && row.target === target)
        .map((row) => row.time_run_at);
      if (runAt.length === 0) continue;
      summaries.set(target, {
        count: Math.min(runAt.length, DELAYED_COUNT_LIMIT),
        next: Math.min(...runAt),
      });
    }
    await hook?.("after");
    return summaries;
  },

  async ping(context) {
    const hook = await context.controls.enter("ping");
    await hook?.("after");
  },
};

/** How to open a {@linkcode MemoryStore}; every field is optional. */
export interface MemoryStoreOptions {
  /** The rows, shared with other stores on it (a peer worker). Default: a new table. */
  table?: MemoryTable;
  /** Default `worker`. */
  workerName?: string;
  /** Whether the table has the `worker` column (crash recovery). Default true. */
  tracksOwner?: boolean;
}

/** The in-memory JobStore; see the module's text. */
export class MemoryStore extends JobStoreBase<MemoryContext> {
  readonly table: MemoryTable;
  readonly #controls: Controls;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const table = options.table ?? new MemoryTable();
    const controls = new Controls();
    super(
      {
        table,
        controls,
        workerName: options.workerName ?? "worker",
        tracksOwner: options.tracksOwner ?? true,
        time: table.time,
      },
      OPERATIONS,
      { tableName: table.name, container: "memory" },
    );
    this.table = table;
    this.#controls = controls;
  }

  /** The operations called, in order (those refused before they ran are not counted). */
  get calls(): Operation[] {
    return this.#controls.calls;
  }

  /** The ids of each `markRunning` call. */
  get markRunningCalls(): number[][] {
    return this.#controls.markRunningCalls;
  }

  /** The limits of each `claimWaiting` call, as entries. */
  get claimWaitingCalls(): [string, number][][] {
    return this.#controls.claimWaitingCalls;
  }

  /** The `startNow` of each `claimWaiting` call, as entries (those above 0). */
  get claimStartNow(): [string, number][][] {
    return this.#controls.claimStartNow;
  }

  /** The `startNow` of each `claimManual` call, as entries (those above 0). */
  get claimManualStartNow(): [string, number][][] {
    return this.#controls.claimManualStartNow;
  }

  /** The ids of each `markRunningAndDone` call, recorded when it is made. */
  get markRunningAndDoneCalls(): { starting: number[]; done: number[] }[] {
    return this.#controls.markRunningAndDoneCalls;
  }

  /** The ids of each `markDone` call, recorded when it is made. */
  get markDoneCalls(): number[][] {
    return this.#controls.markDoneCalls;
  }

  /** While true, every operation fails as if the database were away. */
  get down(): boolean {
    return this.#controls.down;
  }

  set down(down: boolean) {
    this.#controls.down = down;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The rows, by id (the table's own objects). */
  get rows(): Map<number, MemoryRow> {
    return this.table.rows;
  }

  /** Inserts `count` rows of `target` in `status` (default `waiting`); returns their ids. */
  insert(target: string, count = 1, status: JobStatus = "waiting"): number[] {
    return this.table.insert(target, count, status);
  }

  /** The status of row `id`, if there is one. */
  status(id: number): JobStatus | undefined {
    return this.table.rows.get(id)?.status;
  }

  /** Adds a one-shot hook to the next call of `operation`. */
  hook(operation: Operation, hook: Hook): void {
    this.#controls.hooks.set(operation, [...this.#controls.hooks.get(operation) ?? [], hook]);
  }

  /** Holds the next call of `operation` before its change; returns the function that lets it go. */
  hold(operation: Operation): () => void {
    const gate = Promise.withResolvers<void>();
    this.hook(operation, (phase) => phase === "before" ? gate.promise : undefined);
    return gate.resolve;
  }

  /** Makes the next call of `operation` throw `error`, before its change or after it. */
  fail(operation: Operation, error: Error, phase: "before" | "after" = "before"): void {
    this.hook(operation, (at) => {
      if (at === phase) throw error;
    });
  }

  /** Resolves once `operation` has been called (from now on). */
  reached(operation: Operation): Promise<void> {
    const waiter = Promise.withResolvers<void>();
    this.#controls.reached.set(operation, waiter);
    return waiter.promise;
  }

  protected async attempt<T>(operation: () => T | Promise<T>): Promise<T> {
    return await operation();
  }

  protected describeError(error: unknown): string {
    return messageOf(error);
  }

  protected closeConnections(): void {
    this.#closed = true;
  }
}

/**
 * A store on a new table with the time columns (`attempts` among them: to
 * see the attempt a running mark counts, and gives back when released).
 */
export function storeWithAttempts(): MemoryStore {
  return new MemoryStore({ table: new MemoryTable({ timeColumns: true }) });
}
