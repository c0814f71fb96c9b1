/**
 * Turns response data into what jobctl prints: memory, workers' targets,
 * workers, run-manual job reports and send-signal outcomes.
 *
 * @module
 */

import type {
  JobOutcome,
  MemoryUsage,
  RunManualResult,
  TargetStatus,
  WorkerInfo,
} from "../protocol/requests.ts";
import { formatAddress } from "../net/address.ts";
import { LINUX_SIGNALS } from "../protocol/signal_names.ts";
import { compareNames } from "../text.ts";
import type { Rendered } from "./command.ts";
import { describeExit, formatBytes, pausedCell, resultColor } from "./format.ts";
import { type Cell, type Column, formatTable, paint, type Style } from "./table.ts";

/** Sorts names the way people expect: `t2` before `t10`. */
const byName = compareNames;

/** Workers sorted by name. */
function sortedByName(workers: readonly WorkerInfo[]): WorkerInfo[] {
  return [...workers].sort((a, b) => byName(a.name, b.name));
}

/** The columns of a target's row: `TARGET | CONCURRENCY | LENGTH | PAUSED`. */
const TARGET_COLUMNS: readonly Column[] = [
  { heading: "target" },
  { heading: "concurrency", align: "right" },
  { heading: "length", align: "right" },
  { heading: "paused" },
];

/** One row of {@linkcode TARGET_COLUMNS} per target, by name. */
function targetRows(targets: Readonly<Record<string, TargetStatus>>): Cell[][] {
  return Object.keys(targets).sort(byName).map((name) => {
    const target = targets[name];
    return [name, target.concurrency, target.length, pausedCell(target.paused)];
  });
}

/**
 * `WHAT | VALUE`: each figure of `Deno.memoryUsage()` in human units, then
 * the counters in `extra` (`pendingJobPromises`, say) as plain numbers.
 */
export function memoryTable(
  memory: Readonly<MemoryUsage>,
  extra: readonly (readonly [string, number])[],
  style: Style,
): string {
  const rows: Cell[][] = Object.entries(memory).map(([what, bytes]) => [what, formatBytes(bytes)]);
  for (const [what, count] of extra) rows.push([what, count]);
  return formatTable([{ heading: "what" }, { heading: "value", align: "right" }], rows, style);
}

/**
 * `WORKER | ADDRESS | TARGET | CONCURRENCY | LENGTH | PAUSED`: one row per
 * target of each worker (from the master's `status` with `poll_workers`).
 * A worker without targets gets one row with `-` in the target cells; a worker
 * whose status could not be fetched shows its registered targets with `?`,
 * and the reason is listed under the table.
 */
export function workersTable(workers: readonly WorkerInfo[], style: Style): string {
  const rows: Cell[][] = [];
  const notes: string[] = [];
  for (const worker of sortedByName(workers)) {
    const address = workerAddress(worker);
    let targets: Cell[][];
    if (worker.workerStatus === undefined) {
      const unknown: Cell = { text: "?", color: "red" };
      targets = [...worker.targets].sort(byName).map((name) => [name, unknown, unknown, unknown]);
      notes.push(
        `Worker '${worker.name}' (${address}) did not report its status: ${
          worker.workerStatusError ?? "no reason given"
        }`,
      );
    } else {
      targets = targetRows(worker.workerStatus.targets);
    }
    if (targets.length === 0) rows.push([worker.name, address]);
    for (const target of targets) rows.push([worker.name, address, ...target]);
  }
  const table = formatTable(
    [{ heading: "worker" }, { heading: "address" }, ...TARGET_COLUMNS],
    rows,
    style,
  );
  return notes.length === 0 ? table : `${table}\n${notes.join("\n")}\n`;
}

/** `WORKER | ADDRESS | TARGETS`: the registered workers as the master knows them. */
export function registeredWorkersTable(workers: readonly WorkerInfo[], style: Style): string {
  const rows = sortedByName(workers).map((worker) => [
    worker.name,
    workerAddress(worker),
    [...worker.targets].sort(byName).join(", "),
  ]);
  return formatTable(
    [{ heading: "worker" }, { heading: "address" }, { heading: "targets" }],
    rows,
    style,
  );
}

function workerAddress(worker: Pick<WorkerInfo, "remoteAddr" | "remotePort">): string {
  return formatAddress(worker.remoteAddr, worker.remotePort);
}

function withFinalNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function outputSection(name: string, text: string): string {
  return text === "" ? `${name}: (empty)\n` : `${name}:\n${withFinalNewline(text)}`;
}

function jobReport(id: string, report: JobOutcome, style: Style): string {
  const result = paint(report.result, resultColor(report.result), style);
  const heading = `Job ${id}: ${result}, ${describeExit(report)}\n`;
  return heading + outputSection("stdout", report.stdout ?? "") +
    outputSection("stderr", report.stderr ?? "");
}

/**
 * The `run-manual` answer: for each job, in the order asked, its result and
 * exit (code, signal), then its stdout and stderr; or the error that kept it
 * from running. A failure when any job did not end `ok`.
 */
export function runManualReport(
  result: RunManualResult,
  ids: readonly number[],
  style: Style,
): Rendered {
  const jobs = result.jobs ?? {};
  const errors = result.errors ?? {};
  // Asked first, then any other id the answer names, each once.
  const order = [...new Set([...ids.map(String), ...Object.keys(jobs), ...Object.keys(errors)])];
  const blocks: string[] = [];
  let failed = 0;
  for (const id of order) {
    const report = jobs[id];
    const error = errors[id];
    if (report !== undefined) {
      blocks.push(jobReport(id, report, style));
      if (report.result !== "ok") failed++;
    } else if (error !== undefined) {
      blocks.push(`Job ${id}: ${paint("error", "red", style)}: ${error}\n`);
      failed++;
    } else {
      blocks.push(`Job ${id}: ${paint("error", "red", style)}: not in the daemon's answer\n`);
      failed++;
    }
  }
  const rendered: Rendered = { text: blocks.join("\n") };
  if (failed > 0) {
    rendered.failure = failed === 1 && order.length === 1
      ? `job ${order[0]} did not succeed`
      : `${failed} of ${order.length} jobs did not succeed`;
  }
  return rendered;
}

/** One signal sent, and what became of it. */
export interface SignalOutcome {
  id: number;
  target?: string;
  signal: string | number;
  /** `true` delivered, `false` not delivered, text: the error for this job. */
  outcome: boolean | string | undefined;
}

/** A signal by its name (`9` reads `SIGKILL`); a number without one (34) as it is. */
function signalShown(signal: string | number): string {
  return typeof signal === "number" ? LINUX_SIGNALS.get(signal) ?? String(signal) : signal;
}

/**
 * `ID | [TARGET |] SIGNAL | RESULT`: the signal by its name however it was
 * given; `delivered`, `not delivered` (the job is not running there, or the
 * signal is unknown) or the routing error. A failure when any signal was not
 * delivered.
 */
export function signalsReport(outcomes: readonly SignalOutcome[], style: Style): Rendered {
  const withTargets = outcomes.some((outcome) => outcome.target !== undefined);
  let missed = 0;
  const rows = outcomes.map(({ id, target, signal, outcome }) => {
    let result: Cell;
    if (outcome === true) {
      result = { text: "delivered", color: "green" };
    } else {
      missed++;
      result = {
        text: typeof outcome === "string" ? `error: ${outcome}` : "not delivered",
        color: "red",
      };
    }
    const shown = signalShown(signal);
    return withTargets ? [id, target ?? "", shown, result] : [id, shown, result];
  });
  const columns = [
    { heading: "id", align: "right" as const },
    ...(withTargets ? [{ heading: "target" }] : []),
    { heading: "signal" },
    { heading: "result" },
  ];
  const rendered: Rendered = { text: formatTable(columns, rows, style) };
  if (missed > 0) {
    rendered.failure = `${missed} of ${outcomes.length} signals were not delivered`;
  }
  return rendered;
}
