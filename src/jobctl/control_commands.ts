/**
 * jobctl's commands that inspect and change the jobs table:
 * `jobs`, `show`, `stats`, `retry` and `add`, the same for a worker and,
 * with `--master`, through the master. jobctl needs no database access: the
 * worker reads and writes the table. Registered in `commands.ts`.
 *
 * @module
 */

import {
  type AddResult,
  DEFAULT_JOBS_LIMIT,
  type JobResult,
  type JobsQuery,
  type JobsResult,
  MAX_JOBS_LIMIT,
  MAX_RETRY_IDS,
  type RetryResult,
  type StatsResult,
  type WaitingStatsResult,
} from "../protocol/control_requests.ts";
import type { WorkerStatus } from "../protocol/requests.ts";
import {
  type ClientOf,
  type Command,
  type CommandOptionHelp,
  defineCommand,
  type Mode,
  UnexpectedAnswerError,
} from "./command.ts";
import {
  readColumnValues,
  readCount,
  readLimit,
  readResult,
  readRunAt,
  readStatus,
  refuseResultOutsideStatus,
} from "./control_operands.ts";
import {
  addReport,
  jobDetails,
  jobsTable,
  retryReport,
  statsTable,
  type TargetWithWaiting,
} from "./control_reports.ts";
import { readJobId, readTarget, refuseDuplicateIds } from "./operands.ts";
import { UsageError } from "./usage_error.ts";
import { isPlainObject } from "../text.ts";
import { unixNow } from "../unix_time.ts";

/**
 * Refuses an answer without `field` of the expected kind, an array or an
 * object (an older daemon, say), so that no odd answer reaches the tables.
 */
function expect<T>(answer: unknown, field: string, kind: "array" | "object", what: string): T {
  const value = isPlainObject(answer) ? answer[field] : undefined;
  if (kind === "array" ? Array.isArray(value) : isPlainObject(value)) return answer as T;
  throw new UnexpectedAnswerError(`expected ${what}, with '${field}' (an ${kind})`);
}

/**
 * When `jobs` answered as many rows as its limit (`given`, else the
 * default), more may match: says so, and how to see them. Undefined for a
 * shorter list.
 */
export function limitNote(rows: number, given: number | undefined): string | undefined {
  const limit = given ?? DEFAULT_JOBS_LIMIT;
  if (rows < limit) return undefined;
  const shown = limit === 1 ? "only the newest row is shown" : `the newest ${limit} rows are shown`;
  const narrow = "narrow with --target, --status, --result";
  if (limit >= MAX_JOBS_LIMIT) {
    return `${shown}, the most one request gives; there may be more: ${narrow}`;
  }
  return `${shown} (--limit ${limit}${given === undefined ? ", the default" : ""}); there ` +
    `may be more: give a larger --limit (up to ${MAX_JOBS_LIMIT}) or ${narrow}`;
}

function noArguments(command: string, args: readonly string[]): void {
  if (args.length > 0) {
    throw new UsageError(`'${command}' takes no arguments, got ${args.length}`, { command });
  }
}

const TARGET: CommandOptionHelp = {
  name: "target",
  usage: "--target T",
  help: "only the rows of target T",
};
const STATUS: CommandOptionHelp = {
  name: "status",
  usage: "--status S",
  help: "only rows in status S (waiting, delayed, manual, accepted, running, done, ignored)",
};
const RESULT: CommandOptionHelp = {
  name: "result",
  usage: "--result R",
  help: "only rows with result R, ok or fail (done rows, and failed attempts awaiting a retry)",
};
const LIMIT: CommandOptionHelp = {
  name: "limit",
  usage: "--limit N",
  help: "at most N rows (1 to 1000, default 20)",
};
const AT: CommandOptionHelp = {
  name: "at",
  usage: "--at TIME",
  help: "run at TIME ('2026-12-24 18:00' local, ...T18:00Z, or unix seconds)",
};
const IN: CommandOptionHelp = {
  name: "in",
  usage: "--in DURATION",
  help: "run after DURATION (90s, 5m, 1h30m, 2d)",
};
const SET: CommandOptionHelp = {
  name: "set",
  usage: "--set COLUMN=VALUE",
  help: "a value for another column of the rows (repeatable)",
};
const COUNT: CommandOptionHelp = {
  name: "count",
  usage: "--count N",
  help: "insert N rows (1 to 1000, default 1)",
};

/** The commands on the table for `mode`, in help order. */
export function controlCommands<M extends Mode>(mode: M): Command<M>[] {
  const prefix = mode === "master" ? "jobctl --master" : "jobctl";
  const through = mode === "master" ? " (through a worker the master picks)" : "";
  return [
    defineCommand(mode, {
      name: "jobs",
      args: "",
      summary: "Rows of the jobs table, newest first",
      details: "Shows ID, TARGET, STATUS, RESULT, CODE (exit code or signal), CREATED and " +
        "STARTED (UTC), and DURATION. With --master and --target, a worker serving the target " +
        "answers; without, any worker. When as many rows as the limit came back, a note on " +
        "stderr says that more may match (not with --json).",
      example: `${prefix} jobs --target build --result fail --limit 50`,
      options: [TARGET, STATUS, RESULT, LIMIT],
      parse: (args, name, options): Partial<JobsQuery> => {
        noArguments(name, args);
        const query: Partial<JobsQuery> = {};
        if (options.target !== undefined) query.target = readTarget(name, options.target);
        if (options.status !== undefined) query.status = readStatus(name, options.status);
        if (options.result !== undefined) query.result = readResult(name, options.result);
        if (options.limit !== undefined) query.limit = readLimit(name, options.limit);
        if (query.result !== undefined && query.status !== undefined) {
          refuseResultOutsideStatus(name, query.result, query.status);
        }
        return query;
      },
      execute: async (client: ClientOf[M], query) =>
        expect<JobsResult>(await client.listJobs(query), "jobs", "array", "a list of jobs"),
      render: (answer, query, style) => ({
        text: jobsTable(answer.jobs, style, unixNow()),
        note: limitNote(answer.jobs.length, query.limit),
      }),
    }),
    defineCommand(mode, {
      name: "show",
      args: "ID",
      summary: "One row with every column, its stdout and stderr",
      details: `Text longer than 1 MiB is cut${through ? "; any worker answers" : ""}.`,
      example: `${prefix} show 1021`,
      parse: (args, name) => {
        if (args.length !== 1) {
          throw new UsageError(`'${name}' takes 1 argument (ID), got ${args.length}`, {
            command: name,
          });
        }
        return readJobId(name, args[0]);
      },
      execute: async (client: ClientOf[M], id) =>
        expect<JobResult>(await client.showJob(id), "job", "object", "a job"),
      render: (answer, _, style) => ({ text: jobDetails(answer, style) }),
    }),
    defineCommand(mode, {
      name: "stats",
      args: "",
      summary: "Per target: rows by status, done ok/fail, oldest waiting",
      details: "Counts the whole table (every target that has rows)" + through + ".",
      example: `${prefix} stats`,
      parse: (args, name) => noArguments(name, args),
      execute: async (client: ClientOf[M]) =>
        expect<StatsResult>(await client.jobStats(), "targets", "object", "counts per target"),
      render: (answer, _, style) => ({ text: statsTable(answer, style) }),
    }),
    defineCommand(mode, {
      name: "retry",
      args: "ID...",
      summary: "Put finished (done or ignored) rows back to 'waiting'",
      details: `At most ${MAX_RETRY_IDS} ids. ` +
        "Clears the result, exit code, signal, output and times (and attempts and the " +
        "worker, when the table has those columns); the targets are polled. Rows in another " +
        "status are refused, each with its reason; then the exit status is 1.",
      example: `${prefix} retry 1021 1022`,
      parse: (args, name) => {
        if (args.length === 0) {
          throw new UsageError(`'${name}' needs at least one job id`, { command: name });
        }
        if (args.length > MAX_RETRY_IDS) {
          throw new UsageError(
            `'${name}' takes at most ${MAX_RETRY_IDS} job ids, got ${args.length}: ` +
              `retry them in batches of ${MAX_RETRY_IDS}`,
            { command: name },
          );
        }
        const ids = args.map((arg) => readJobId(name, arg));
        refuseDuplicateIds(name, ids);
        return ids;
      },
      execute: async (client: ClientOf[M], ids) =>
        expect<RetryResult>(
          await client.retryJobs(ids),
          "retried",
          "array",
          "the jobs retried",
        ),
      render: (answer, ids, style) => retryReport(answer, ids, style),
    }),
    defineCommand(mode, {
      name: "add",
      args: "TARGET",
      summary: "Insert jobs of a target and poll it; prints their ids",
      details: "The rows are 'waiting', or with --at/--in 'delayed' until then (the table " +
        "needs the status 'delayed' and the column 'time_run_at'). --set values are checked " +
        "against the table's columns.",
      example: `${prefix} add build --in 10m --set priority=5 --count 2`,
      options: [AT, IN, SET, COUNT],
      parse: (args, name, options) => {
        if (args.length !== 1) {
          throw new UsageError(`'${name}' takes 1 argument (TARGET), got ${args.length}`, {
            command: name,
          });
        }
        return {
          target: readTarget(name, args[0]),
          count: options.count === undefined ? 1 : readCount(name, options.count),
          runAt: readRunAt(name, options, unixNow()),
          values: readColumnValues(name, options.set ?? []),
        };
      },
      execute: async (client: ClientOf[M], request) =>
        expect<AddResult>(
          await client.addJobs(request),
          "ids",
          "array",
          "the new jobs' ids",
        ),
      render: (answer, request) => ({ text: addReport(answer, request.target, request.runAt) }),
    }),
  ];
}

/**
 * The worker's `status`, each target with the table's `waiting` rows beside
 * it (from `stats` with `only: "waiting"`, read through an index; left out
 * when the worker cannot count them).
 */
export async function targetsWithWaiting(
  client: ClientOf["worker"],
  status: WorkerStatus,
): Promise<WorkerStatus & { targets: Record<string, TargetWithWaiting> }> {
  let counts: WaitingStatsResult | undefined;
  try {
    const answer = await client.waitingStats();
    if (isPlainObject(answer) && isPlainObject(answer.targets)) counts = answer;
  } catch {
    // An older worker, or a database outage: the worker's own view is still worth showing.
  }
  const targets: Record<string, TargetWithWaiting> = {};
  for (const [name, target] of Object.entries(status.targets)) {
    targets[name] = counts === undefined
      ? { ...target }
      : { ...target, waiting: counts.targets[name]?.waiting ?? 0 };
  }
  return { ...status, targets };
}
