/**
 * The job board (`schedules = FILE` in the worker's config): an
 * ini file with one section per schedule, read with the project's ini
 * reader. Every problem is reported, each naming the file, the section and
 * the key; a board with any problem is refused as a whole.
 *
 * @module
 */

import {
  booleanType,
  ConfigError,
  type ConfigSection,
  integerType,
  numberType,
  oneOfType,
  parseIni,
  stringType,
  type ValueType,
} from "../config/ini_file.ts";
import { JOBD_WRITTEN_COLUMNS } from "../storage/required_columns.ts";
import { targetNameProblem } from "../target_names.ts";
import { messageOf } from "../text.ts";
import { isCalendarDate, MAX_ROW_TIME } from "../unix_time.ts";
import { scanBoardLines } from "./board_lines.ts";
import { formatDuration, MAX_DURATION_SECONDS, parseDuration } from "./duration.ts";
import { CronRule, EveryRule, isTimeZone, NoDateError, type Rule } from "./rule.ts";

/** What happens to slots missed while no worker ran (`catchup`). */
export const CATCHUP_MODES = ["latest", "none", "all"] as const;
/** One of {@linkcode CATCHUP_MODES}. */
export type Catchup = typeof CATCHUP_MODES[number];

/** Whether a slot runs while the schedule's last job is still unfinished (`overlap`). */
export const OVERLAP_MODES = ["skip", "allow"] as const;
/** One of {@linkcode OVERLAP_MODES}. */
export type Overlap = typeof OVERLAP_MODES[number];

/** `catchup_window` when absent: one hour. */
export const DEFAULT_CATCHUP_WINDOW = 3600;

/** `tz` when absent. */
export const DEFAULT_TZ = "UTC";

const SET_PREFIX = "set.";

/** The keys of a schedule's section, `set.COLUMN` aside (README.md's board table lists them). */
export const BOARD_KEYS: ReadonlySet<string> = new Set([
  "target",
  "cron",
  "tz",
  "every",
  "start",
  "stop",
  "max_runs",
  "decay",
  "every_max",
  "catchup",
  "catchup_window",
  "overlap",
  "enabled",
]);

/** Most schedules in one board: more is refused, naming the file and this limit. */
export const MAX_BOARD_SCHEDULES = 10_000;

/** Most problems a refused board reports (a file of garbage would otherwise log each line). */
export const MAX_BOARD_PROBLEMS = 100;

/** One schedule of the board, validated. Times are unix seconds. */
export interface Schedule {
  /** The section name, the key of its row in `jobd_schedules`. */
  readonly name: string;
  /** The target of the rows it inserts. */
  readonly target: string;
  /** `cron` + `tz`, or `every` + `decay` + `every_max`. */
  readonly rule: Rule;
  /** `start`: no slot before it. */
  readonly start?: number;
  /** `stop`: no slot after it. */
  readonly stop?: number;
  /** `max_runs`: after that many runs the schedule is finished. */
  readonly maxRuns?: number;
  readonly catchup: Catchup;
  /** `catchup_window`, seconds: how far back `catchup = all` runs missed slots. */
  readonly catchupWindow: number;
  readonly overlap: Overlap;
  /** `set.COLUMN = value` lines: other columns of the inserted row. */
  readonly set: Readonly<Record<string, string>>;
  /** `enabled` (default true): a disabled schedule is listed but never runs. */
  readonly enabled: boolean;
}

/** A board read from its file. */
export interface Board {
  /** The file it was read from. */
  readonly file: string;
  /** The schedules in file order. */
  readonly schedules: readonly Schedule[];
}

/** A board that could not be used: every problem, each a `ConfigError` naming file, section, key. */
export class BoardError extends Error {
  /** The problems, the first {@linkcode MAX_BOARD_PROBLEMS} of them and a last one counting the rest. */
  readonly problems: readonly ConfigError[];
  /** How many problems were found. */
  readonly count: number;

  constructor(file: string, found: readonly ConfigError[]) {
    const problems = found.length <= MAX_BOARD_PROBLEMS ? found : [
      ...found.slice(0, MAX_BOARD_PROBLEMS),
      new ConfigError(file, `and ${found.length - MAX_BOARD_PROBLEMS} more problems`),
    ];
    super(
      `The job board ${file} has ${found.length} problem${found.length === 1 ? "" : "s"}: ` +
        problems.map((problem) => problem.message).join("; "),
    );
    this.name = "BoardError";
    this.problems = problems;
    this.count = found.length;
  }
}

const durationType: ValueType<number> = {
  describe: `a duration such as 90s, 3m5s or 1h, from 1s to ${
    formatDuration(MAX_DURATION_SECONDS)
  } (10 years)`,
  parse: (value) => typeof value === "string" ? parseDuration(value) : undefined,
};

/**
 * The latest slot a schedule's row holds, and the most runs it counts:
 * `next_run_at` and `runs` are `int(10) UNSIGNED` like a job row's times.
 */
const LATEST_SLOT = MAX_ROW_TIME;
const MAX_RUNS_LIMIT = MAX_ROW_TIME;

/** An ISO 8601 time with its zone: `2026-01-01T00:00:00Z`, `2026-06-01T08:00+02:00`. */
const isoTimeType: ValueType<number> = {
  describe: "an ISO 8601 time with a zone, such as 2026-01-01T00:00:00Z",
  parse(value) {
    if (typeof value !== "string") return undefined;
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value)) {
      return undefined;
    }
    const ms = Date.parse(value);
    return Number.isNaN(ms) || !isCalendarDate(value) ? undefined : Math.floor(ms / 1000);
  },
};

/**
 * Parses the text of a board. `served` are the worker's targets (a schedule
 * of another target is kept and listed, but this worker does not run it).
 * Throws a {@linkcode BoardError} with every problem found.
 */
export function parseBoard(text: string, file: string): Board {
  const lines = scanBoardLines(text, file);
  if (lines.sections > MAX_BOARD_SCHEDULES) {
    throw new BoardError(file, [
      new ConfigError(
        file,
        `has ${lines.sections} schedules; a board holds at most ${MAX_BOARD_SCHEDULES} ` +
          "(MAX_BOARD_SCHEDULES): split it among the workers",
      ),
    ]);
  }
  // With a section or key name ini would change, its reading is not the file's.
  if (lines.misread) throw new BoardError(file, lines.problems);
  const problems: ConfigError[] = [...lines.problems];
  let doc;
  try {
    doc = parseIni(text, file);
  } catch (error) {
    if (error instanceof ConfigError) throw new BoardError(file, [...problems, error]);
    throw error;
  }
  const schedules: Schedule[] = [];
  for (const name of doc.global.keys()) {
    const section = doc.section(name);
    if (section === undefined) {
      problems.push(
        new ConfigError(
          file,
          `${doc.global.label(name)} is outside any section: a board has only [schedule] sections`,
          {
            key: name,
          },
        ),
      );
      continue;
    }
    const schedule = readSchedule(section, problems);
    if (schedule !== undefined) schedules.push(schedule);
  }
  if (problems.length > 0) throw new BoardError(file, problems);
  return { file, schedules };
}

/** Reads one key, recording its error instead of throwing. */
function attempt<T>(problems: ConfigError[], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error);
    return undefined;
  }
}

function readSchedule(section: ConfigSection, problems: ConfigError[]): Schedule | undefined {
  const before = problems.length;
  const name = section.name!;
  for (const key of section.keys()) {
    if (BOARD_KEYS.has(key)) continue;
    if (key.startsWith(SET_PREFIX)) {
      const column = key.slice(SET_PREFIX.length);
      if (!/^[A-Za-z0-9_$]{1,64}$/.test(column)) {
        problems.push(section.error(key, "names no valid column: write 'set.COLUMN = value'"));
      } else if (JOBD_WRITTEN_COLUMNS.has(column.toLowerCase())) {
        problems.push(section.error(key, `sets the column '${column}', which jobd writes itself`));
      }
      continue;
    }
    problems.push(section.error(key, "is not a key of a schedule"));
  }
  const read = <T>(fn: () => T) => attempt(problems, fn);
  const target = read(() => section.required("target", stringType()));
  const targetProblem = target === undefined ? undefined : targetNameProblem(target);
  if (targetProblem !== undefined) {
    problems.push(section.error("target", `is not a valid target name: ${targetProblem}`));
  }
  const start = read(() => section.optional("start", isoTimeType));
  const stop = read(() => section.optional("stop", isoTimeType));
  if (start !== undefined && stop !== undefined && stop <= start) {
    problems.push(section.error("stop", "must be after 'start'"));
  }
  if (start !== undefined && start > LATEST_SLOT) {
    const latest = new Date(LATEST_SLOT * 1000).toISOString().replace(".000Z", "Z");
    problems.push(
      section.error(
        "start",
        `must be at the latest ${latest} (the largest time the table's next_run_at holds)`,
      ),
    );
  }
  const rule = readRule(section, problems, start);
  const maxRuns = read(() =>
    section.optional("max_runs", integerType({ min: 1, max: MAX_RUNS_LIMIT }))
  );
  const catchup = read(() => section.withDefault("catchup", oneOfType(CATCHUP_MODES), "latest"));
  const catchupWindow = read(() =>
    section.withDefault("catchup_window", durationType, DEFAULT_CATCHUP_WINDOW)
  );
  const overlap = read(() => section.withDefault("overlap", oneOfType(OVERLAP_MODES), "skip"));
  const enabled = read(() => section.withDefault("enabled", booleanType, true));
  const set: Record<string, string> = {};
  for (const key of section.keys()) {
    if (!key.startsWith(SET_PREFIX)) continue;
    const value = read(() => section.required(key, stringType({ allowEmpty: true })));
    if (value !== undefined) set[key.slice(SET_PREFIX.length)] = value;
  }
  if (problems.length > before) return undefined;
  return {
    name,
    target: target!,
    rule: rule!,
    start,
    stop,
    maxRuns,
    catchup: catchup!,
    catchupWindow: catchupWindow!,
    overlap: overlap!,
    set,
    enabled: enabled!,
  };
}

function readRule(
  section: ConfigSection,
  problems: ConfigError[],
  start: number | undefined,
): Rule | undefined {
  const read = <T>(fn: () => T) => attempt(problems, fn);
  const hasCron = section.has("cron");
  const hasEvery = section.has("every");
  if (hasCron === hasEvery) {
    const key = hasCron ? "every" : "cron";
    problems.push(
      section.error(
        key,
        hasCron ? "cannot be given with 'cron': use one of them" : "or 'every' is required",
      ),
    );
    return undefined;
  }
  if (hasCron) {
    for (const key of ["decay", "every_max"]) {
      if (section.has(key)) {
        problems.push(section.error(key, "applies only to 'every', not to 'cron'"));
      }
    }
    const expression = read(() => section.required("cron", stringType()));
    const tz = read(() => section.withDefault("tz", stringType(), DEFAULT_TZ));
    if (tz !== undefined && !isTimeZone(tz)) {
      problems.push(section.error("tz", `names no known time zone: '${tz}'`));
      return undefined;
    }
    if (expression === undefined || tz === undefined) return undefined;
    try {
      return new CronRule(expression, tz, start);
    } catch (error) {
      const reason = messageOf(error);
      problems.push(
        section.error(
          "cron",
          error instanceof NoDateError
            ? `${reason}: '${expression}'`
            : `does not parse: '${expression}' ${reason}`,
        ),
      );
      return undefined;
    }
  }
  if (section.has("tz")) {
    problems.push(section.error("tz", "applies only to 'cron', not to 'every'"));
  }
  const every = read(() => section.required("every", durationType));
  const decay = read(() => section.withDefault("decay", numberType({ min: 1, allowMin: true }), 1));
  const everyMax = read(() => section.optional("every_max", durationType));
  if (decay !== undefined && decay > 1 && everyMax === undefined && !section.has("every_max")) {
    problems.push(section.error("every_max", "is required with 'decay' (the longest interval)"));
  }
  if (every !== undefined && everyMax !== undefined && everyMax < every) {
    problems.push(section.error("every_max", "must not be shorter than 'every'"));
  }
  if (every === undefined || decay === undefined) return undefined;
  return new EveryRule(every, decay, everyMax ?? Infinity, start);
}

/**
 * The problems of `set.` columns the jobs table lacks: one `ConfigError`
 * per schedule and column (`columns` in lower case).
 */
export function checkSetColumns(
  board: Board,
  columns: ReadonlySet<string>,
  table: string,
): ConfigError[] {
  const problems: ConfigError[] = [];
  for (const schedule of board.schedules) {
    for (const column of Object.keys(schedule.set)) {
      if (columns.has(column.toLowerCase())) continue;
      problems.push(
        new ConfigError(
          board.file,
          `'${SET_PREFIX}${column}' in [${schedule.name}] names a column the table '${table}' lacks`,
          { key: `${SET_PREFIX}${column}` },
        ),
      );
    }
  }
  return problems;
}
