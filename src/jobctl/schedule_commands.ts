/**
 * jobctl's commands of the job board, for the worker and (`--master`) for
 * every worker at once: `schedules`, `schedule-run NAME`,
 * `schedule-pause NAME`, `schedule-resume NAME`.
 *
 * @module
 */

import type { ScheduleInfo, ScheduleRunResult } from "../protocol/requests.ts";
import { isPlainObject } from "../text.ts";
import { type Command, defineCommand, type Mode, UnexpectedAnswerError } from "./command.ts";
import { confirmed, formatTime, pausedCell, resultColor } from "./format.ts";
import { type Cell, type Column, formatTable, type Style } from "./table.ts";
import { UsageError } from "./usage_error.ts";

function lastCell(schedule: ScheduleInfo): Cell {
  if (schedule.lastJobId === null) return "";
  const what = schedule.lastResult ?? schedule.lastStatus ?? "gone";
  const text = `${what} (job ${schedule.lastJobId})`;
  return schedule.lastResult ? { text, color: resultColor(schedule.lastResult) } : text;
}

function noteCell(schedule: ScheduleInfo): Cell {
  if (schedule.problem) return { text: schedule.problem, color: "red" };
  if (!schedule.enabled) return { text: "disabled", color: "dim" };
  if (schedule.finished) return { text: "finished", color: "dim" };
  return "";
}

/** `NAME | TARGET | RULE | NEXT RUN | LAST RUN | LAST JOB | RUNS | PAUSED | NOTE`. */
export function schedulesTable(
  schedules: readonly ScheduleInfo[],
  style: Style,
  withWorkers: boolean,
): string {
  if (schedules.length === 0) return "No schedules (no job board, or an empty one)\n";
  const columns: Column[] = [
    { heading: "name" },
    { heading: "target" },
    { heading: "rule" },
    { heading: "next run" },
    { heading: "last run" },
    { heading: "last job" },
    { heading: "runs", align: "right" },
    { heading: "paused" },
    ...(withWorkers ? [{ heading: "workers" }] : []),
    { heading: "note" },
  ];
  const rows = schedules.map((schedule) => [
    schedule.name,
    schedule.target,
    schedule.rule,
    schedule.finished || !schedule.enabled ? "" : formatTime(schedule.nextRunAt),
    formatTime(schedule.lastRunAt),
    lastCell(schedule),
    schedule.runs,
    pausedCell(schedule.paused),
    ...(withWorkers ? [(schedule.workers ?? []).join(", ")] : []),
    noteCell(schedule),
  ]);
  return formatTable(columns, rows, style);
}

function oneName(args: readonly string[], command: string): string {
  if (args.length !== 1) {
    throw new UsageError(`'${command}' takes 1 argument (NAME), got ${args.length}`, { command });
  }
  return args[0];
}

function schedulesOf(
  data: unknown,
): { schedules: ScheduleInfo[]; errors?: Record<string, string> } {
  if (!isPlainObject(data) || !Array.isArray(data.schedules)) {
    throw new UnexpectedAnswerError("expected a list of schedules");
  }
  return data as { schedules: ScheduleInfo[]; errors?: Record<string, string> };
}

function insertedOf(data: unknown): ScheduleRunResult {
  if (!isPlainObject(data) || !Number.isSafeInteger(data.id)) {
    throw new UnexpectedAnswerError("expected the id of the inserted job");
  }
  return data as unknown as ScheduleRunResult;
}

/** The board's commands of `mode`. */
function scheduleCommands<M extends Mode>(mode: M): Command<M>[] {
  const master = mode === "master";
  const flag = master ? "--master " : "";
  const where = master ? "on a worker that serves its target" : "on this worker";
  return [
    defineCommand(mode, {
      name: "schedules",
      args: "",
      summary: master
        ? "The workers' job boards, merged: rules, runs, paused"
        : "The job board: rules, next and last runs, paused",
      details: "Times are UTC. NOTE tells why a schedule does not run (a target " +
        `${master ? "no worker" : "this worker does not"} serve${
          master ? "s" : ""
        }, disabled, finished).`,
      example: `jobctl ${flag}schedules`,
      parse: (args, name) => {
        if (args.length > 0) {
          throw new UsageError(`'${name}' takes no arguments, got ${args.length}`, {
            command: name,
          });
        }
      },
      execute: async (client) => schedulesOf(await client.schedules()),
      render: (data, _, style) => {
        const errors = Object.entries(data.errors ?? {}).map(([w, text]) => `${w}: ${text}\n`);
        return {
          text: schedulesTable(data.schedules, style, master) + errors.join(""),
          failure: errors.length > 0 ? "some workers did not answer" : undefined,
        };
      },
    }),
    defineCommand(mode, {
      name: "schedule-run",
      args: "NAME",
      summary: `Run a schedule once now, outside its rule`,
      details: `Inserts one 'waiting' row for the schedule's target ${where} and claims it ` +
        "at once; the rule's next slot stays as it was.",
      example: `jobctl ${flag}schedule-run nightly-cleanup`,
      parse: oneName,
      execute: async (client, name) => insertedOf(await client.scheduleRun(name)),
      render: (data, name) => confirmed(`Schedule '${name}' inserted job ${data.id}`),
    }),
    defineCommand(mode, {
      name: "schedule-pause",
      args: "NAME",
      summary: "Pause a schedule: its slots pass unrun (kept across restarts)",
      example: `jobctl ${flag}schedule-pause nightly-cleanup`,
      parse: oneName,
      execute: (client, name) => client.schedulePause(name),
      render: (_, name) => confirmed(`Paused schedule '${name}'`),
    }),
    defineCommand(mode, {
      name: "schedule-resume",
      args: "NAME",
      summary: "Resume a paused schedule from its next slot",
      example: `jobctl ${flag}schedule-resume nightly-cleanup`,
      parse: oneName,
      execute: (client, name) => client.scheduleResume(name),
      render: (_, name) => confirmed(`Resumed schedule '${name}'`),
    }),
  ];
}

/** The worker's board commands, in help order. */
export const WORKER_SCHEDULE_COMMANDS: readonly Command<"worker">[] = scheduleCommands("worker");

/** The master's board commands, in help order. */
export const MASTER_SCHEDULE_COMMANDS: readonly Command<"master">[] = scheduleCommands("master");
