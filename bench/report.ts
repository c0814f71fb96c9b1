/**
 * The figures of one run: their JSON form under bench/results/ and the table
 * printed at the end.
 *
 * @module
 */

import type { CpuShare } from "./cpu.ts";
import type { SpawnRate, UpdateLimits } from "./limits.ts";
import type { Machine } from "./machine.ts";
import { mib } from "./memory.ts";
import type { ManualResult, PokeToStartResult, ThroughputResult } from "./phases.ts";
import type { Summary } from "./stats.ts";

/** Memory of one worker, bytes. */
export interface WorkerMemory {
  name: string;
  /** RSS once started and registered, before any job. */
  startRss: number | undefined;
  /** Of the start RSS: the C allocator's `[heap]`. */
  startMallocHeap: number | undefined;
  /** Of the start RSS: the JavaScript heap (`heapTotal` of the worker's `status`). */
  startJsHeap: number | undefined;
  /** Largest RSS sampled (every 100 ms) during the throughput run. */
  peakRssSampled: number;
  /** `VmHWM`: the largest RSS since the process started, read after the run-manual phase. */
  peakRss: number | undefined;
  /** RSS right after the last job (run-manual call, or the throughput run without them). */
  afterRunRss: number | undefined;
  /** RSS after resting `idleWaitSeconds` after the last job. */
  idleRss: number | undefined;
  /** Of the idle RSS: the C allocator's `[heap]` (native buffers, ArrayBuffer contents). */
  idleMallocHeap: number | undefined;
  /** Of the idle RSS: the JavaScript heap (`heapTotal` of the worker's own `status`). */
  idleJsHeap: number | undefined;
  idleWaitSeconds: number;
  /** RSS read every second of the rest, from its start. */
  idleRssSeries: (number | undefined)[];
}

/** One goal and whether this run met it (informational: nothing fails on it). */
export interface Goal {
  name: string;
  goal: string;
  value: string;
  met: boolean | undefined;
}

/** Everything one run measured. */
export interface BenchResult {
  startedAt: string;
  seconds: number;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  /** `spawn` is measured before the throughput run, `spawnAfter` after it. */
  limits: { spawn: SpawnRate; spawnAfter: SpawnRate; update: UpdateLimits };
  throughput: ThroughputResult;
  /**
   * Throughput as a fraction of each limit (of the spawn limit: the mean of
   * the rates before and after the run); `cpu`: CPU time of a raw launch
   * (spawner and launcher, the mean of before and after) over CPU time of
   * one of our jobs (workers, launchers, master, database): the fraction of
   * the raw spawn rate we would reach if CPU were the only limit, and less
   * disturbed than the rates by other processes competing for the machine.
   */
  ratios: { spawn: number; cpu: number; updateSequential: number; updateConcurrent: number };
  manual: ManualResult[];
  pokeToStart: PokeToStartResult | undefined;
  memory: WorkerMemory[];
  backlog: { rows: number; throughput: ThroughputResult } | undefined;
  loadAtEnd: number[];
  goals: Goal[];
}

/** The goals this project set itself, judged on `result`. */
export function judgeGoals(
  result: Pick<BenchResult, "ratios" | "pokeToStart" | "memory">,
): Goal[] {
  const p99 = result.pokeToStart?.latency?.p99;
  const idle = result.memory.map((worker) => worker.idleRss);
  const worstIdle = idle.every((rss) => rss !== undefined)
    ? Math.max(...idle as number[])
    : undefined;
  return [
    {
      name: "throughput / raw spawn rate",
      goal: "≥ 80 %",
      value: percent(result.ratios.spawn),
      met: result.ratios.spawn >= 0.8,
    },
    {
      name: "poke-to-start p99",
      goal: "< 50 ms",
      value: p99 === undefined ? "not measured" : `${p99.toFixed(1)} ms`,
      met: p99 === undefined ? undefined : p99 < 50,
    },
    {
      name: "worker idle RSS",
      goal: "< 80 MiB",
      value: worstIdle === undefined ? "not measured" : `${mib(worstIdle)} MiB`,
      met: worstIdle === undefined ? undefined : worstIdle < 80 * 1024 * 1024,
    },
  ];
}

const JOB_PARTIES = { workers: "workers", launchers: "launchers" };

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

function ms(value: number | undefined): string {
  return value === undefined ? "-" : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function timings(summary: Summary | undefined): string {
  return summary === undefined
    ? "-"
    : `p50 ${ms(summary.p50)}  p90 ${ms(summary.p90)}  p99 ${ms(summary.p99)}  ` +
      `max ${ms(summary.max)} ms`;
}

function rate(value: number): string {
  return `${value.toFixed(0)}/s`;
}

function cpuText(cpu: CpuShare, names: { workers: string; launchers: string }): string {
  const parts = [
    `${names.workers} ${cores(cpu.workers)}`,
    `${names.launchers} ${cores(cpu.launchers)}`,
  ];
  if (cpu.master !== undefined) parts.push(`master ${cores(cpu.master)}`);
  if (cpu.database !== undefined) parts.push(`mariadb ${cores(cpu.database)}`);
  if (cpu.bench > 0) parts.push(`bench ${cores(cpu.bench)}`);
  parts.push(`others ${cores(cpu.others)}`, `machine ${cores(cpu.machine)} of ${cpu.cores}`);
  return parts.join(", ");
}

function cores(value: number): string {
  return value.toFixed(2);
}

function perOperationText(perOperation: Record<string, number>): string {
  return Object.entries(perOperation).map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(", ") + " ms";
}

function statementsText(run: ThroughputResult): string {
  const perJob = run.statementsPerJob;
  const parts = [`${perJob.questions ?? "?"} statements`];
  for (
    const [name, label] of [
      ["com_select", "SELECT"],
      ["com_update", "UPDATE"],
      ["com_begin", "BEGIN"],
      ["com_commit", "COMMIT"],
    ]
  ) {
    if (perJob[name] !== undefined) parts.push(`${perJob[name]} ${label}`);
  }
  return parts.join(", ");
}

/** What a throughput run shows after its rate: results, CPU, statements, the claim and its plan. */
function runRows(run: ThroughputResult): [string, string][] {
  return [
    ["results", resultsText(run)],
    ["CPU cores busy", cpuText(run.cpu, JOB_PARTIES)],
    ["CPU per job", perOperationText(run.cpuPerJobMs)],
    ["database statements per job", statementsText(run)],
    ["claim query alone", timings(run.claimQuery)],
    ...planRows(run),
  ];
}

function planRows(run: ThroughputResult): [string, string][] {
  const rows: [string, string][] = run.explain.rows.map((plan) => [
    `  EXPLAIN: table ${plan.table}`,
    `type ${plan.type}, key ${plan.key}, rows ${plan.rows}, extra ${plan.Extra ?? ""}`,
  ]);
  rows.push([
    "  (status, target, id) index, no filesort",
    run.explain.usesIndex && !run.explain.filesort ? "yes" : "NO",
  ]);
  return rows;
}

function resultsText(run: ThroughputResult): string {
  return Object.entries(run.results).map(([result, count]) => `${count} ${result}`).join(", ");
}

/** The run as a readable two-column table, section by section. */
export function renderReport(result: BenchResult): string {
  const rows: ([string, string] | string)[] = [];
  const { machine, limits, throughput } = result;
  rows.push("Machine");
  rows.push(["cores, memory", `${machine.cores}, ${machine.memoryMiB} MiB (${machine.cpuModel})`]);
  rows.push(["Deno, database", `${machine.deno}, ${machine.database}`]);
  rows.push([
    "load average at start / end",
    `${fmtLoad(machine.loadAtStart)} / ${fmtLoad(result.loadAtEnd)}`,
  ]);
  rows.push("Limits of this machine");
  for (
    const [when, spawn] of [["before", limits.spawn], ["after", limits.spawnAfter]] as const
  ) {
    rows.push([
      `spawn launcher (concurrency ${spawn.concurrency}), ${when}`,
      `${rate(spawn.perSecond)} (${spawn.count} launches)`,
    ]);
    rows.push([
      "  CPU cores busy",
      cpuText(spawn.cpu, { workers: "spawner", launchers: "launchers" }),
    ]);
    rows.push([
      "  CPU per launch",
      `spawner ${spawn.cpuPerLaunchMs.spawner.toFixed(2)}, ` +
      `launcher ${spawn.cpuPerLaunchMs.launcher.toFixed(2)} ms`,
    ]);
  }
  for (
    const [label, update] of [
      ["single-row UPDATE, 1 connection", limits.update.sequential],
      [
        `single-row UPDATE, ${limits.update.concurrent.concurrency} connections`,
        limits.update.concurrent,
      ],
    ] as const
  ) {
    rows.push([label, `${rate(update.perSecond)} (${update.count} updates)`]);
    const { client, server } = update.cpuPerUpdateMs;
    rows.push([
      "  CPU per UPDATE",
      `client ${client.toFixed(3)}` +
      (server === undefined ? "" : `, server ${server.toFixed(3)}`) +
      " ms",
    ]);
  }
  const table = result.settings.workerColumn === false ? "no worker column" : "worker column";
  rows.push(
    `Throughput (${throughput.jobs} jobs, ${result.settings.workers} worker(s), ${table})`,
  );
  rows.push([
    "end to end, poke to last row done",
    `${rate(throughput.perSecond)} (${(throughput.ms / 1000).toFixed(1)} s)`,
  ]);
  rows.push(["  of the raw spawn rate, before/after mean", percent(result.ratios.spawn)]);
  rows.push(["  CPU of a raw launch / CPU of our job", percent(result.ratios.cpu)]);
  rows.push([
    "  of single-row UPDATEs, 1 / n connections",
    `${percent(result.ratios.updateSequential)} / ${percent(result.ratios.updateConcurrent)}`,
  ]);
  rows.push(...runRows(throughput));
  if (result.backlog) {
    const run = result.backlog.throughput;
    rows.push(
      `With a backlog of ${result.backlog.rows} other rows${
        Number(result.settings.delayed ?? 0) > 0
          ? ` and ${result.settings.delayed} delayed ones due in a day`
          : ""
      } (${run.tableRows} in the table)`,
    );
    rows.push([
      "end to end",
      `${rate(run.perSecond)} (${(run.ms / 1000).toFixed(1)} s), ${
        percent(run.perSecond / throughput.perSecond)
      } of the run without`,
    ]);
    rows.push(...runRows(run));
  }
  if (result.pokeToStart) {
    rows.push(`Poke to start (idle worker, via ${result.pokeToStart.via})`);
    rows.push(["launcher started", timings(result.pokeToStart.latency)]);
    rows.push(["poke request round trip", timings(result.pokeToStart.requestRoundTrip)]);
    rows.push(["floor: recorder spawned directly", timings(result.pokeToStart.spawnToStart)]);
    if (result.pokeToStart.startedBeforePoke > 0) {
      rows.push([
        "started before the poke (left out)",
        `${result.pokeToStart.startedBeforePoke} job(s): the worker claimed them on its own`,
      ]);
    }
  }
  for (const manual of result.manual) {
    rows.push(`Run-manual, one job per call, via ${manual.via}`);
    rows.push([`round trip (${manual.calls} calls)`, timings(manual.roundTrip)]);
    rows.push([
      "results",
      `${manual.ok} ok, ${manual.failed} failed${
        manual.firstError ? `: ${manual.firstError}` : ""
      }`,
    ]);
  }
  rows.push("Worker memory (RSS)");
  for (const worker of result.memory) {
    rows.push([
      `${worker.name}: at start`,
      `${fmtMiB(worker.startRss)}, of which malloc [heap] ${fmtMiB(worker.startMallocHeap)}, ` +
      `JS heap ${fmtMiB(worker.startJsHeap)}`,
    ]);
    rows.push([
      "  peak, right after the last job",
      `${fmtMiB(worker.peakRss)}, ${fmtMiB(worker.afterRunRss)}`,
    ]);
    rows.push([
      `  idle after ${worker.idleWaitSeconds} s`,
      `${fmtMiB(worker.idleRss)}, of which malloc [heap] ${fmtMiB(worker.idleMallocHeap)}, ` +
      `JS heap ${fmtMiB(worker.idleJsHeap)}`,
    ]);
    rows.push(["  every 5 s of the rest", seriesText(worker.idleRssSeries)]);
  }
  rows.push("Goals");
  for (const goal of result.goals) {
    const verdict = goal.met === undefined ? "-" : goal.met ? "met" : "NOT MET";
    rows.push([`${goal.name} ${goal.goal}`, `${goal.value}  ${verdict}`]);
  }
  const width = Math.max(...rows.map((row) => typeof row === "string" ? 0 : row[0].length));
  return rows.map((row) =>
    typeof row === "string" ? `\n${row}` : `  ${row[0].padEnd(width)}  ${row[1]}`
  ).join("\n").trimStart();
}

function seriesText(series: (number | undefined)[]): string {
  return series.filter((_, second) => second % 5 === 0)
    .map((rss) => rss === undefined ? "-" : mib(rss).toFixed(0)).join(" ") + " MiB";
}

function fmtMiB(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${mib(bytes)} MiB`;
}

function fmtLoad(load: number[]): string {
  return load.map((value) => value.toFixed(2)).join(" ");
}

/** Writes the result as `DIR/YYYY-MM-DDTHH-MM-SSZ.json`; returns the path. */
export async function writeResult(result: BenchResult, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = result.startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  const path = `${dir.replace(/\/$/, "")}/${stamp}.json`;
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
  return path;
}
