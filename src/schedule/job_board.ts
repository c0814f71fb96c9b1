/**
 * The worker's job board: the file named by `schedules`, its store and its
 * scheduler, with what the requests `schedules`, `schedule-run`,
 * `schedule-pause` and `schedule-resume` do. A board that cannot be used
 * (a problem in the file, a `set.` column the jobs table lacks, no
 * `jobd_schedules` table) is logged, one error per problem, and the worker
 * runs on without it; on reload (SIGHUP) such a board keeps the running one.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { ConfigError, readConfigFile } from "../config/ini_file.ts";
import type { WorkerConfig } from "../config/worker_config.ts";
import { RequestError } from "../net/errors.ts";
import { openScheduleStore } from "../storage/open_schedule_store.ts";
import type { ScheduleRow, ScheduleStore } from "../storage/schedule_store.ts";
import { messageOf } from "../text.ts";
import type { Board, BoardError, Schedule } from "./board.ts";
import { firstSlot, isFinished } from "./plan.ts";
import { Scheduler } from "./scheduler.ts";
import type { ScheduleInfo } from "../protocol/requests.ts";
import { unixNow } from "../unix_time.ts";

const log = getLogger(["jobd", "worker", "schedules"]);

/** The most bytes a job board file may have, 16 MiB (10,000 schedules and room to spare). */
export const MAX_BOARD_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads and parses the board file `file` (at most
 * {@linkcode MAX_BOARD_FILE_BYTES}) that `configFile` names in `schedules`:
 * the daemon's load and `--check-config` read it alike. Throws a `BoardError`
 * naming every problem, or a `ConfigError` naming the board file, the key and
 * the config file when the file cannot be read (missing, too large).
 */
export async function readBoard(file: string, configFile: string): Promise<Board> {
  let text: string;
  try {
    text = await readConfigFile(file, MAX_BOARD_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = error.message.startsWith(`${file}: `)
      ? error.message.slice(`${file}: `.length)
      : error.message;
    throw new ConfigError(
      file,
      `${detail} (the job board named by 'schedules' in ${configFile})`,
      { key: "schedules", cause: error },
    );
  }
  // Loaded with the first board: a worker without one never loads the cron parser.
  const { parseBoard } = await import("./board.ts");
  return parseBoard(text, file);
}

/** What the board needs of the worker. */
export interface JobBoardHooks {
  /** Whether the worker serves `target` now. */
  serves(target: string): boolean;
  /** Rows were inserted for `target`: poll it (and poke the master). */
  onInserted(target: string): void;
}

/** Why a listed schedule does not run here, if it does not. */
function problemOf(
  schedule: Schedule,
  served: boolean,
  row: ScheduleRow | undefined,
): { problem?: string } {
  if (!served) return { problem: `this worker does not serve target '${schedule.target}'` };
  if (row !== undefined && row.ruleHash !== schedule.rule.hash) {
    return { problem: "its row follows another board's rule (a board loaded later)" };
  }
  return {};
}

/** The worker's job board. */
export class JobBoard {
  readonly #hooks: JobBoardHooks;
  #store: ScheduleStore | undefined;
  #scheduler: Scheduler | undefined;
  #board: Board | undefined;
  #file: string | undefined;
  #closed = false;
  /** Loads run one at a time (two quick SIGHUPs). */
  #loading: Promise<unknown> = Promise.resolve();

  private constructor(hooks: JobBoardHooks) {
    this.#hooks = hooks;
  }

  /**
   * Loads the board of `config.schedules`, if any. A board with problems is
   * logged and left out; but a config that asks for a board on a database
   * without `jobd_schedules` (a feature whose table is missing) throws the
   * `StorageError` naming it, which stops the worker at start-up.
   */
  static async open(config: WorkerConfig, hooks: JobBoardHooks): Promise<JobBoard> {
    const board = new JobBoard(hooks);
    if (config.schedules !== undefined) board.#store = await openScheduleStore(config);
    await board.reload(config);
    return board;
  }

  /** The board in use, if any. */
  get board(): Board | undefined {
    return this.#board;
  }

  /** Tells the board that the worker's targets changed. */
  targetsChanged(): void {
    this.#scheduler?.wake();
  }

  /**
   * Loads the board again (SIGHUP). Returns whether the new board is in
   * use; a board with problems keeps the running one.
   */
  reload(config: WorkerConfig): Promise<boolean> {
    const loaded = this.#loading.then(() => this.#load(config));
    this.#loading = loaded.catch(() => {});
    return loaded;
  }

  async #load(config: WorkerConfig): Promise<boolean> {
    if (this.#closed) return false;
    const file = config.schedules;
    if (file === undefined) {
      if (this.#board !== undefined) log.info("The job board is no longer configured; stopped it");
      await this.#stop();
      this.#board = undefined;
      return true;
    }
    try {
      const board = await readBoard(file, config.configFile);
      const { BoardError, checkSetColumns } = await import("./board.ts");
      this.#store ??= await openScheduleStore(config);
      const problems = checkSetColumns(board, await this.#store.jobColumns(), config.storage.table);
      if (problems.length > 0) throw new BoardError(file, problems);
      this.#use(board, this.#store);
      this.#file = file;
      const runs = board.schedules.filter((s) => s.enabled && this.#hooks.serves(s.target));
      log.info("Job board {file}: {count} schedule(s), {runs} run by this worker", {
        file,
        count: board.schedules.length,
        runs: runs.length,
      });
      return true;
    } catch (error) {
      const refused = error instanceof Error && error.name === "BoardError"
        ? error as BoardError
        : undefined;
      const problems = refused?.problems.map((p) => p.message) ?? [
        error instanceof ConfigError ? error.message : `${file}: ${messageOf(error)}`,
      ];
      for (const problem of problems) log.error("Job board: {problem}", { problem });
      log.error("The job board {file} is not used: {count} problem(s){keeping}", {
        file,
        count: refused?.count ?? problems.length,
        keeping: this.#board ? `; keeping the board loaded from ${this.#file}` : "",
      });
      return false;
    }
  }

  #use(board: Board, store: ScheduleStore): void {
    this.#board = board;
    this.#scheduler ??= new Scheduler({
      store,
      serves: (target) => this.#hooks.serves(target),
      onInserted: (target) => this.#hooks.onInserted(target),
    });
    this.#scheduler.setSchedules(board.schedules);
  }

  /** The `schedules` request: every schedule of the board with its row. */
  async list(): Promise<ScheduleInfo[]> {
    const board = this.#board;
    if (board === undefined || this.#store === undefined) return [];
    const rows = await this.#store.read(board.schedules.map((schedule) => schedule.name));
    return board.schedules.map((schedule) => {
      const row = rows.get(schedule.name);
      const served = this.#hooks.serves(schedule.target);
      return {
        name: schedule.name,
        target: schedule.target,
        rule: schedule.rule.text,
        enabled: schedule.enabled,
        served,
        nextRunAt: row?.nextRunAt ?? null,
        lastRunAt: row?.lastRunAt ?? null,
        lastJobId: row?.lastJobId ?? null,
        lastStatus: row?.lastStatus ?? null,
        lastResult: row?.lastResult ?? null,
        runs: row?.runs ?? 0,
        paused: row?.paused ?? false,
        finished: row !== undefined && isFinished(schedule, row),
        ...problemOf(schedule, served, row),
      };
    });
  }

  /** `schedule-run NAME`: one row now, outside the rule. Answers its id. */
  async run(name: string): Promise<{ id: number }> {
    const schedule = this.#served(name);
    const store = await this.#prepared(schedule);
    const id = await store.runNow(name, {
      target: schedule.target,
      set: schedule.set,
      createdAt: unixNow(),
    });
    log.info("Schedule {name}: inserted job {id} for target {target} on request", {
      name,
      id,
      target: schedule.target,
    });
    this.#hooks.onInserted(schedule.target);
    return { id };
  }

  /** `schedule-pause` / `schedule-resume NAME`: kept in the table, so it survives restarts. */
  async setPaused(name: string, paused: boolean): Promise<string> {
    const schedule = this.#served(name);
    const store = await this.#prepared(schedule);
    await store.setPaused(name, paused);
    const state = this.#scheduler?.state(name);
    if (state !== undefined) this.#scheduler?.remember({ ...state, paused });
    log.info("Schedule {name} {what} on request", { name, what: paused ? "paused" : "resumed" });
    return "ok";
  }

  /** Stops the timer and closes the store, for good (shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#loading;
    await this.#stop();
  }

  async #stop(): Promise<void> {
    await this.#scheduler?.stop();
    this.#scheduler = undefined;
    await this.#store?.close();
    this.#store = undefined;
  }

  #served(name: string): Schedule {
    const schedule = this.#board?.schedules.find((candidate) => candidate.name === name);
    if (schedule === undefined) throw new RequestError(`schedule '${name}' not found`);
    if (!this.#hooks.serves(schedule.target)) {
      throw new RequestError(
        `schedule '${name}' is for target '${schedule.target}', which this worker does not serve`,
      );
    }
    return schedule;
  }

  /**
   * The store, with the schedule's row made if it has none yet. A row of
   * another rule is left as it is: only a board load resets it.
   */
  async #prepared(schedule: Schedule): Promise<ScheduleStore> {
    const store = this.#store;
    if (store === undefined) throw new RequestError("the job board is not loaded");
    if (this.#scheduler?.state(schedule.name) === undefined) {
      const now = unixNow();
      await store.ensure(schedule.name, schedule.rule.hash, firstSlot(schedule, now), false);
    }
    return store;
  }
}
