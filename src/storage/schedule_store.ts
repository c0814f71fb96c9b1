/**
 * The storage of the job board (`schedules = FILE`): the optional table
 * `jobd_schedules` and the rows a schedule inserts into the jobs table. One
 * firing is one transaction: the schedule's row is locked, the plan made,
 * the job rows inserted and `next_run_at` advanced (guarded by its old
 * value), so that however many workers fire the same slot, exactly one
 * inserts its rows. The SQL flow is written once here over a small dialect
 * seam; `mysql/schedules.ts` and `sqlite/schedules.ts` open it.
 *
 * @module
 */

import { messageOf } from "../text.ts";
import { StorageError } from "./errors.ts";

/** The table of schedule state. */
export const SCHEDULES_TABLE = "jobd_schedules";

/** Its columns, all required. */
export const SCHEDULE_COLUMNS = [
  "name",
  "rule_hash",
  "next_run_at",
  "last_run_at",
  "last_job_id",
  "runs",
  "paused",
] as const;

/** A schedule's row in `jobd_schedules`. Times are unix seconds. */
export interface ScheduleState {
  readonly name: string;
  /** The hash of the rule the row was made for. */
  readonly ruleHash: string;
  /** The next slot to run. */
  readonly nextRunAt: number;
  /** The slot of the last run (or the time of the last `schedule-run`). */
  readonly lastRunAt: number | null;
  readonly lastJobId: number | null;
  /** Runs by the rule so far (`schedule-run` is not counted). */
  readonly runs: number;
  readonly paused: boolean;
}

/** What a firing does. */
export interface FirePlan {
  /** The slots that get one `waiting` row each, oldest first. */
  readonly slots: readonly number[];
  /** The new `next_run_at`. */
  readonly nextRunAt: number;
  /** Slots that passed without a row (missed, paused, overlapping). */
  readonly passed: number;
  /** More slots passed than `passed` counts: a long gap was crossed without reading them. */
  readonly gapSkipped?: boolean;
}

/** Statuses of a job that has not finished: `overlap = skip` lets slots pass while one is. */
export const OPEN_STATUSES: ReadonlySet<string> = new Set([
  "waiting",
  "accepted",
  "running",
  "delayed",
]);

/** A job row a schedule inserts: `waiting`, with `set.` column values. */
export interface NewJob {
  readonly target: string;
  readonly set: Readonly<Record<string, string>>;
  /** `time_created`, unix seconds. */
  readonly createdAt: number;
}

/** A schedule's row with its last job's status and result. */
export interface ScheduleRow extends ScheduleState {
  readonly lastStatus: string | null;
  readonly lastResult: string | null;
}

/** What a firing did. */
export interface Fired {
  /** The row after the firing (or as found, when nothing was due). */
  readonly state: ScheduleState;
  /** The plan carried out; undefined when nothing was due or the rule differed. */
  readonly plan?: FirePlan;
  /** The ids of the rows inserted, one per slot of the plan. */
  readonly jobIds: readonly number[];
}

/** Decides a firing from the locked row (see `planFire`). */
export type FireDecision = (state: ScheduleState, lastJobOpen: boolean) => FirePlan | undefined;

/** The operations of the job board on its tables. */
export interface ScheduleStore {
  /** The jobs table's columns, in lower case (to check `set.` keys). */
  jobColumns(): Promise<Set<string>>;
  /**
   * The row of `name`, made with `firstSlot` when missing. A row of another
   * rule (`ruleHash`) starts anew from `firstSlot` with no runs when `reset`
   * is set (a board was just loaded), and is answered as found otherwise.
   */
  ensure(
    name: string,
    ruleHash: string,
    firstSlot: number,
    reset: boolean,
  ): Promise<ScheduleState>;
  /** The rows of `names` that exist, with their last job's status and result. */
  read(names: readonly string[]): Promise<Map<string, ScheduleRow>>;
  /**
   * Fires `name` in one transaction: locks its row, asks `decide`, inserts
   * one `job` per planned slot, advances `next_run_at` (guarded by the value
   * read) and records the last run. Nothing when the row's rule is not
   * `ruleHash` (another board) or the row is missing.
   */
  fire(name: string, ruleHash: string, job: NewJob, decide: FireDecision): Promise<Fired>;
  /** Inserts one row now (`schedule-run`) and makes it the schedule's last job; its id. */
  runNow(name: string, job: NewJob): Promise<number>;
  /** Sets `paused`; false when the schedule has no row. */
  setPaused(name: string, paused: boolean): Promise<boolean>;
  close(): Promise<void>;
}

/** One transaction's statements, in either dialect. */
export interface ScheduleSql {
  /** Rows of a query. */
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a write: rows changed, and the id of an inserted row. */
  run(sql: string, params: readonly unknown[]): Promise<{ changes: number; insertId: number }>;
}

/** What differs between MySQL and SQLite. */
export interface ScheduleDialect {
  /** Quotes an identifier. */
  quote(name: string): string;
  /** `INSERT IGNORE` / `INSERT OR IGNORE`. */
  readonly insertIgnore: string;
  /** Appended to the SELECT that locks a schedule's row (`FOR UPDATE`, or nothing). */
  readonly lockRow: string;
  /** Runs `work` in one transaction (retrying lock conflicts); statements outside get their own. */
  transaction<T>(work: (sql: ScheduleSql) => Promise<T>): Promise<T>;
  /** Statements outside a transaction. */
  readonly direct: ScheduleSql;
  /** The jobs table's columns, lower case. */
  jobColumns(): Promise<Set<string>>;
  /** Thrown inside a transaction when its guard found the row changed: retried. */
  conflict(message: string): Error;
  /** Where the tables are, for messages: `database 'jobd'`. */
  readonly where: string;
  close(): Promise<void>;
}

/** The shared SQL flow of the job board over a dialect. */
export class SqlScheduleStore implements ScheduleStore {
  readonly #dialect: ScheduleDialect;
  readonly #jobs: string;
  readonly #schedules: string;
  /** One operation at a time: a dialect's connection holds one transaction. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dialect: ScheduleDialect, jobsTable: string) {
    this.#dialect = dialect;
    this.#jobs = dialect.quote(jobsTable);
    this.#schedules = dialect.quote(SCHEDULES_TABLE);
  }

  jobColumns(): Promise<Set<string>> {
    return this.#serial("read the jobs table's columns", () => this.#dialect.jobColumns());
  }

  ensure(
    name: string,
    ruleHash: string,
    firstSlot: number,
    reset: boolean,
  ): Promise<ScheduleState> {
    return this.#serial(
      `prepare the schedule '${name}'`,
      () =>
        this.#dialect.transaction(async (sql) => {
          await sql.run(
            `${this.#dialect.insertIgnore} INTO ${this.#schedules}
             (name, rule_hash, next_run_at, runs, paused) VALUES (?, ?, ?, 0, 0)`,
            [name, ruleHash, firstSlot],
          );
          const state = await this.#lock(sql, name);
          if (state === undefined) throw this.#dialect.conflict(`the row of '${name}' vanished`);
          if (state.ruleHash === ruleHash || !reset) return state;
          await sql.run(
            `UPDATE ${this.#schedules} SET rule_hash = ?, next_run_at = ?, runs = 0
            WHERE name = ? AND rule_hash = ?`,
            [ruleHash, firstSlot, name, state.ruleHash],
          );
          return { ...state, ruleHash, nextRunAt: firstSlot, runs: 0 };
        }),
    );
  }

  read(names: readonly string[]): Promise<Map<string, ScheduleRow>> {
    return this.#serial("read the schedules", async () => {
      const rows = new Map<string, ScheduleRow>();
      if (names.length === 0) return rows;
      const marks = names.map(() => "?").join(", ");
      const states = (await this.#dialect.direct.all(
        `SELECT ${SCHEDULE_COLUMNS.join(", ")} FROM ${this.#schedules} WHERE name IN (${marks})`,
        names,
      )).map(stateOf);
      const ids = states.flatMap((state) => state.lastJobId === null ? [] : [state.lastJobId]);
      const jobs = new Map<number, Record<string, unknown>>();
      if (ids.length > 0) {
        const found = await this.#dialect.direct.all(
          `SELECT id, status, result FROM ${this.#jobs} WHERE id IN (${
            ids.map(() => "?").join(", ")
          })`,
          ids,
        );
        for (const job of found) jobs.set(Number(job.id), job);
      }
      for (const state of states) {
        const job = state.lastJobId === null ? undefined : jobs.get(state.lastJobId);
        rows.set(state.name, {
          ...state,
          lastStatus: job?.status == null ? null : String(job.status),
          lastResult: job?.result == null ? null : String(job.result),
        });
      }
      return rows;
    });
  }

  fire(name: string, ruleHash: string, job: NewJob, decide: FireDecision): Promise<Fired> {
    return this.#serial(
      `fire the schedule '${name}'`,
      () =>
        this.#dialect.transaction(async (sql) => {
          const state = await this.#lock(sql, name);
          if (state === undefined) {
            throw new StorageError(`the schedule '${name}' has no row in '${SCHEDULES_TABLE}'`);
          }
          if (state.ruleHash !== ruleHash) return { state, jobIds: [] };
          const plan = decide(state, await this.#isOpen(sql, state.lastJobId));
          if (plan === undefined) return { state, jobIds: [] };
          const jobIds: number[] = [];
          for (let i = 0; i < plan.slots.length; i++) jobIds.push(await this.#insert(sql, job));
          const lastRunAt = plan.slots.at(-1) ?? state.lastRunAt;
          const lastJobId = jobIds.at(-1) ?? state.lastJobId;
          const runs = state.runs + plan.slots.length;
          const { changes } = await sql.run(
            `UPDATE ${this.#schedules}
              SET next_run_at = ?, last_run_at = ?, last_job_id = ?, runs = ?
            WHERE name = ? AND next_run_at = ?`,
            [plan.nextRunAt, lastRunAt, lastJobId, runs, name, state.nextRunAt],
          );
          if (changes !== 1) throw this.#dialect.conflict(`'${name}' advanced under its lock`);
          return {
            state: { ...state, nextRunAt: plan.nextRunAt, lastRunAt, lastJobId, runs },
            plan,
            jobIds,
          };
        }),
    );
  }

  runNow(name: string, job: NewJob): Promise<number> {
    return this.#serial(
      `run the schedule '${name}'`,
      () =>
        this.#dialect.transaction(async (sql) => {
          const id = await this.#insert(sql, job);
          await sql.run(
            `UPDATE ${this.#schedules} SET last_run_at = ?, last_job_id = ? WHERE name = ?`,
            [job.createdAt, id, name],
          );
          return id;
        }),
    );
  }

  setPaused(name: string, paused: boolean): Promise<boolean> {
    return this.#serial(
      `${paused ? "pause" : "resume"} the schedule '${name}'`,
      () =>
        this.#dialect.transaction(async (sql) => {
          if (await this.#lock(sql, name) === undefined) return false;
          await sql.run(`UPDATE ${this.#schedules} SET paused = ? WHERE name = ?`, [
            paused ? 1 : 0,
            name,
          ]);
          return true;
        }),
    );
  }

  close(): Promise<void> {
    return this.#queue.then(() => this.#dialect.close(), () => this.#dialect.close());
  }

  async #lock(sql: ScheduleSql, name: string): Promise<ScheduleState | undefined> {
    const [row] = await sql.all(
      `SELECT ${
        SCHEDULE_COLUMNS.join(", ")
      } FROM ${this.#schedules} WHERE name = ?${this.#dialect.lockRow}`,
      [name],
    );
    return row === undefined ? undefined : stateOf(row);
  }

  async #isOpen(sql: ScheduleSql, id: number | null): Promise<boolean> {
    if (id === null) return false;
    const [row] = await sql.all(`SELECT status FROM ${this.#jobs} WHERE id = ?`, [id]);
    return row !== undefined && OPEN_STATUSES.has(String(row.status));
  }

  async #insert(sql: ScheduleSql, job: NewJob): Promise<number> {
    const columns = ["target", "time_created", "status", ...Object.keys(job.set)];
    const values = [job.target, job.createdAt, "waiting", ...Object.values(job.set)];
    const { insertId } = await sql.run(
      `INSERT INTO ${this.#jobs} (${columns.map((c) => this.#dialect.quote(c)).join(", ")})
       VALUES (${columns.map(() => "?").join(", ")})`,
      values,
    );
    return insertId;
  }

  /** Runs operations one at a time; a failure becomes a `StorageError` naming it. */
  #serial<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation, operation).catch((error: unknown) => {
      if (error instanceof StorageError) throw error;
      const reason = messageOf(error);
      throw new StorageError(`Cannot ${what} in ${this.#dialect.where}: ${reason}`, {
        cause: error,
      });
    });
    this.#queue = result.catch(() => {});
    return result;
  }
}

function stateOf(row: Record<string, unknown>): ScheduleState {
  const optional = (value: unknown) => value === null || value === undefined ? null : Number(value);
  return {
    name: String(row.name),
    ruleHash: String(row.rule_hash),
    nextRunAt: Number(row.next_run_at),
    lastRunAt: optional(row.last_run_at),
    lastJobId: optional(row.last_job_id),
    runs: Number(row.runs),
    paused: Number(row.paused) !== 0,
  };
}

/** The problem with a `jobd_schedules` table of these columns (lower case), if any. */
export function scheduleTableProblem(
  columns: ReadonlySet<string>,
  where: string,
): string | undefined {
  if (columns.size === 0) {
    return `the job board needs the table '${SCHEDULES_TABLE}' in ${where}: create it as in ` +
      `examples/schema.sql (or schema.sqlite.sql)`;
  }
  const missing = SCHEDULE_COLUMNS.filter((column) => !columns.has(column));
  if (missing.length === 0) return undefined;
  return `the table '${SCHEDULES_TABLE}' in ${where} lacks the column${
    missing.length === 1 ? "" : "s"
  } ` +
    `${missing.map((column) => `'${column}'`).join(", ")} (see examples/schema.sql)`;
}
