/**
 * How jobctl shows the answers of the operators' requests: the `jobs` table,
 * one row with its output (`show`), the `stats` table, `retry` and `add`
 * outcomes, and `list-targets` with the table's waiting rows. Times are
 * shown in UTC (format.ts).
 *
 * @module
 */

import type {
  AddResult,
  ColumnValue,
  JobResult,
  JobSummary,
  RetryResult,
  StatsResult,
} from "../protocol/control_requests.ts";
import type { TargetStatus } from "../protocol/requests.ts";
import type { Rendered } from "./command.ts";
import { formatTime, pausedCell, resultColor } from "./format.ts";
import { type Cell, type Column, formatTable, paint, type Style } from "./table.ts";
import { timeColumns } from "./time_report.ts";
import { compareNames } from "../text.ts";

/** Seconds as `45s`, `2m05s`, `3h07m`, `2d04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s % 3600 / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s % 86_400 / 3600))}h`;
}

/** How long a job ran, or has been running (`12s so far`); empty before it started. */
function duration(job: JobSummary, now: number): string {
  if (!(job.started > 0)) return "";
  if (job.finished >= job.started) return formatDuration(job.finished - job.started);
  return job.status === "running" ? `${formatDuration(now - job.started)} so far` : "";
}

function statusCell(status: string): Cell {
  if (status === "running") return { text: status, color: "green" };
  if (status === "ignored") return { text: status, color: "dim" };
  return status;
}

/** `ID | TARGET | STATUS | RESULT | CODE | CREATED | STARTED | DURATION`, newest first. */
export function jobsTable(jobs: readonly JobSummary[], style: Style, now: number): string {
  if (jobs.length === 0) return "No jobs found\n";
  const columns: Column[] = [
    { heading: "id", align: "right" },
    { heading: "target" },
    { heading: "status" },
    { heading: "result" },
    { heading: "code", align: "right" },
    { heading: "created" },
    { heading: "started" },
    { heading: "duration", align: "right" },
  ];
  const rows = jobs.map((job): Cell[] => [
    job.id,
    job.target,
    statusCell(job.status),
    job.result === null ? "" : { text: job.result, color: resultColor(job.result) },
    job.signal ?? (job.code === null ? "" : job.code),
    formatTime(job.created),
    formatTime(job.started),
    duration(job, now),
  ]);
  return formatTable(columns, rows, style);
}

function valueText(value: ColumnValue): string {
  if (value === "") return "(empty)";
  return value === null ? "NULL" : String(value);
}

const OUTPUT_COLUMNS = ["stdout", "stderr"];
const TIME_COLUMNS = new Set(["time_created", "time_started", "time_finished", "time_run_at"]);

/**
 * `show`: every column as `COLUMN | VALUE` (times also in UTC), then stdout
 * and stderr in full, each under its name.
 */
export function jobDetails(answer: JobResult, style: Style): string {
  const rows: Cell[][] = [];
  for (const [name, value] of Object.entries(answer.job)) {
    if (OUTPUT_COLUMNS.includes(name)) continue;
    let text = valueText(value);
    if (TIME_COLUMNS.has(name) && typeof value === "number" && value > 0) {
      text += ` (${formatTime(value)})`;
    }
    const cell: Cell = name === "result" && typeof value === "string"
      ? { text, color: resultColor(value) }
      : text;
    rows.push([name, cell]);
  }
  const blocks = [formatTable([{ heading: "column" }, { heading: "value" }], rows, style)];
  for (const name of OUTPUT_COLUMNS) {
    if (!(name in answer.job)) continue;
    const value = answer.job[name];
    const cut = answer.truncated?.includes(name) ? " (cut: longer than shown)" : "";
    if (value === null || value === "") {
      blocks.push(`${paint(name, "bold", style)}: ${value === null ? "NULL" : "(empty)"}\n`);
    } else {
      const text = String(value);
      blocks.push(
        `${paint(name, "bold", style)}${cut}:\n${text.endsWith("\n") ? text : `${text}\n`}`,
      );
    }
  }
  return blocks.join("\n");
}

/**
 * `stats`: per target the rows in each unfinished status and those waiting
 * for a retry, the done rows of the last hour and day by result, the failed
 * ones timed out in the last hour, and the oldest waiting row's age. A count
 * an older worker does not give is left blank; RETRYING shows only when the
 * table counts retries.
 */
export function statsTable(stats: StatsResult, style: Style): string {
  const names = Object.keys(stats.targets);
  if (names.length === 0) return "No jobs in the table\n";
  // Retries are counted on a table with the column `attempts` only: else no such column.
  const retries = names.some((name) => typeof stats.targets[name].retrying === "number");
  const counts = ["waiting", "delayed", ...(retries ? ["retrying"] : []), "manual", "accepted"];
  const columns: Column[] = [
    { heading: "target" },
    ...[...counts, "running"].map((heading) => ({ heading, align: "right" as const })),
    { heading: "ok 1h", align: "right" },
    { heading: "fail 1h", align: "right" },
    { heading: "timed out 1h", align: "right" },
    { heading: "ok 24h", align: "right" },
    { heading: "fail 24h", align: "right" },
    { heading: "oldest waiting", align: "right" },
  ];
  const failCell = (count: number): Cell => count > 0 ? { text: String(count), color: "red" } : 0;
  const rows = names.map((name): Cell[] => {
    const target = stats.targets[name];
    return [
      name,
      target.waiting,
      target.delayed,
      ...(retries ? [target.retrying ?? ""] : []),
      target.manual,
      target.accepted,
      target.running,
      target.lastHour.ok,
      failCell(target.lastHour.fail),
      target.timedOut === undefined ? "" : failCell(target.timedOut.lastHour),
      target.lastDay.ok,
      failCell(target.lastDay.fail),
      target.oldestWaitingAge === null ? "" : formatDuration(target.oldestWaitingAge),
    ];
  });
  const table = formatTable(columns, rows, style);
  const omitted = stats.omittedTargets;
  if (typeof omitted !== "number" || !(omitted > 0)) return table;
  return `${table}${omitted} more target${omitted === 1 ? "" : "s"} with rows not listed: ` +
    `the answer lists the ${names.length} with the most unfinished rows\n`;
}

/** `retry`: the jobs waiting again, and each refused one with its reason (a failure). */
export function retryReport(result: RetryResult, ids: readonly number[], style: Style): Rendered {
  const errors = result.errors ?? {};
  const retried = new Set(result.retried);
  const rows = ids.map((id): Cell[] => [
    id,
    retried.has(id)
      ? { text: "waiting again", color: "green" }
      : { text: `refused: ${errors[id] ?? "not in the daemon's answer"}`, color: "red" },
  ]);
  const rendered: Rendered = {
    text: formatTable([{ heading: "id", align: "right" }, { heading: "retry" }], rows, style),
  };
  const refused = ids.length - ids.filter((id) => retried.has(id)).length;
  if (refused > 0) rendered.failure = `${refused} of ${ids.length} jobs were not retried`;
  return rendered;
}

/** `add`: how many rows of which target, their status and ids. */
export function addReport(result: AddResult, target: string, runAt: number | undefined): string {
  const count = result.ids.length;
  const when = result.status === "delayed" && runAt !== undefined
    ? ` until ${formatTime(runAt)}`
    : "";
  return `Added ${count} job${count === 1 ? "" : "s"} of '${target}' (${result.status}${when}): ` +
    `${result.ids.join(" ")}\n`;
}

/** A target of `list-targets`: the worker's view, and the table's waiting rows when known. */
export type TargetWithWaiting = TargetStatus & { waiting?: number };

/**
 * `TARGET | CONCURRENCY | LENGTH | PAUSED | WAITING`: LENGTH counts the jobs
 * this worker holds (running and claimed), WAITING the table's `waiting`
 * rows of the target, which any worker serving it may claim (`?` when the
 * worker could not count them); then `DELAYED | TIMEOUT | RETRIES` when the
 * worker reports them (time_report.ts).
 */
export function targetsWithWaitingTable(
  targets: Readonly<Record<string, TargetWithWaiting>>,
  style: Style,
): string {
  const time = timeColumns(targets);
  const names = Object.keys(targets).sort(compareNames);
  const rows = names.map((name): Cell[] => {
    const target = targets[name];
    return [
      name,
      target.concurrency,
      target.length,
      pausedCell(target.paused),
      target.waiting ?? "?",
      ...time.cells(target),
    ];
  });
  return formatTable(
    [
      { heading: "target" },
      { heading: "concurrency", align: "right" },
      { heading: "length", align: "right" },
      { heading: "paused" },
      { heading: "waiting", align: "right" },
      ...time.columns,
    ],
    rows,
    style,
  );
}
