/**
 * The figures of one run: their JSON form under bench/results/ and the table
 * printed at the end.
 *
 * @module
 */

import { ourCpuPerJobMs, type SpawnBaseline } from "./baseline.ts";
import type { CpuShare } from "./cpu.ts";
import type { Goal } from "./goals.ts";
import type { SpawnRate, UpdateLimits } from "./limits.ts";
import type { Machine } from "./machine.ts";
import { mib } from "./memory.ts";
import type { TableVariant } from "./options.ts";
import type { PokeToStartResult, ThroughputResult } from "./phases.ts";
import type { ShapeRun } from "./shape_run.ts";
import type { Summary } from "./stats.ts";

/** Memory of one worker, bytes. */
export interface WorkerMemory {
  name: string;
  /** RSS once started and registered, before any job. */
  startRss: number | undefined;
  /** Of the start RSS: the C allocator's `[heap]`. */
  startMallocHeap: number | undefined;
  /** Of the start RSS: pages of files, nearly all the `deno` executable's (`RssFile`). */
  startFileRss: number | undefined;
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
  /** Of the idle RSS: pages of files, nearly all the `deno` executable's (`RssFile`). */
  idleFileRss: number | undefined;
  /** Of the idle RSS: the JavaScript heap (`heapTotal` of the worker's own `status`). */
  idleJsHeap: number | undefined;
  idleWaitSeconds: number;
  /** RSS read every second of the rest, from its start. */
  idleRssSeries: (number | undefined)[];
}

/** Poke-to-start samples of one table variant. */
export interface VariantPokeToStart {
  variant: TableVariant;
  result: PokeToStartResult;
}

/** Everything one invocation measured. */
export interface BenchResult {
  startedAt: string;
  seconds: number;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  /** The raw UPDATE limits of the server (the spawn limits are measured with each run). */
  limits: { update: UpdateLimits };
  /** One per table variant and shape, in the order measured. */
  runs: ShapeRun[];
  pokeToStart: VariantPokeToStart[];
  loadAtEnd: number[];
  goals: Goal[];
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

/**
 * What a throughput run shows after its rate: results, CPU (beside the CPU of
 * a raw launch, when `baselines` holds the raw spawns of the run), statements,
 * the claim and its plan.
 */
function runRows(run: ThroughputResult, baselines?: ShapeRun): [string, string][] {
  const launchRows: [string, string][] = baselines
    ? [[
      "CPU per raw launch, mean",
      launchCpuText(baselines.rawSpawn) +
      (baselines.groupSpawn ? `; in a group: ${launchCpuText(baselines.groupSpawn)}` : "") +
      " ms",
    ]]
    : [];
  return [
    ["results", resultsText(run)],
    ["CPU cores busy", cpuText(run.cpu, JOB_PARTIES)],
    ["CPU per job", perOperationText(run.cpuPerJobMs)],
    ...launchRows,
    ["database statements per job", statementsText(run)],
    ...kindRows(run),
    ...otherRows(run),
    ["claim query alone", timings(run.claimQuery)],
    ...planRows(run),
  ];
}

function kindRows(run: ThroughputResult): [string, string][] {
  if (!run.statementKinds) return [];
  return Object.entries(run.statementKinds.byKind)
    .filter(([, count]) => count.statements > 0)
    .map(([kind, count]) => [
      `  ${kind}`,
      `${(count.statements / run.jobs).toFixed(3)} per job` +
      (count.updates > 0
        ? `, ${count.updates} UPDATEs naming ${(count.updatedIds / count.updates).toFixed(1)} ` +
          `jobs each`
        : ""),
    ]);
}

function otherRows(run: ThroughputResult): [string, string][] {
  return (run.statementKinds?.otherExamples ?? []).map((sql) => ["    other, such as", sql]);
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

/** The run-manual round trip p99 via `via` (default: the first way asked, the master if any). */
export function manualP99(run: ShapeRun, via?: string): number | undefined {
  const manual = run.manual.find((entry) => via === undefined || entry.via === via) ??
    run.manual[0];
  return manual?.roundTrip?.p99;
}

/** The worst of the workers' figures of a run (they are alike with one worker). */
export function worstMemory(
  run: ShapeRun,
  field: "idleRss" | "peakRss",
): number | undefined {
  const values = run.memory.map((worker) => worker[field]);
  return values.length > 0 && values.every((value) => value !== undefined)
    ? Math.max(...values as number[])
    : undefined;
}

/** Rows under headers as a Markdown table, each column as wide as its widest cell. */
function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column].length))
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  return [
    line(headers),
    `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}

/** Whether any run measured the raw spawn in a process group. */
function measuredInGroup(result: BenchResult): boolean {
  return result.runs.some((run) => run.groupSpawn !== undefined);
}

/**
 * The summary of every run, one row each, as a Markdown table (bench/README.md
 * takes it as is): rates and ratios against the plain raw spawn and, when
 * measured, the raw spawn in a process group; statements, latencies, memory.
 */
export function summaryTable(result: BenchResult): string {
  const inGroup = measuredInGroup(result);
  const headers = [
    "table",
    "shape",
    "jobs/s",
    "raw/s",
    "of raw",
    "CPU ratio",
    ...(inGroup ? ["raw in group/s", "of raw in group", "CPU ratio in group"] : []),
    "stmts/job",
    "poke p99",
    "manual p99",
    "idle RSS",
    "peak RSS",
  ];
  const rows = result.runs.map((run) => {
    const poke = result.pokeToStart.find((entry) => entry.variant === run.variant)?.result;
    const idle = worstMemory(run, "idleRss");
    const peak = worstMemory(run, "peakRss");
    return [
      run.variant,
      run.shape,
      run.throughput.perSecond.toFixed(0),
      run.rawSpawn.perSecond.toFixed(0),
      percent(run.ratios.spawn),
      percent(run.ratios.cpu),
      ...(inGroup
        ? [
          run.groupSpawn?.perSecond.toFixed(0) ?? "-",
          optionalPercent(run.ratios.spawnInGroup),
          optionalPercent(run.ratios.cpuInGroup),
        ]
        : []),
      String(run.throughput.statementsPerJob.questions ?? "?"),
      poke?.latency ? `${ms(poke.latency.p99)} ms` : "-",
      manualP99(run) === undefined ? "-" : `${ms(manualP99(run))} ms`,
      idle === undefined ? "-" : `${mib(idle).toFixed(0)} MiB`,
      peak === undefined ? "-" : `${mib(peak).toFixed(0)} MiB`,
    ];
  });
  return markdownTable(headers, rows);
}

/**
 * Where the CPU of a job goes, one row per run, as a Markdown table in
 * milliseconds: each of our parties per job and their sum, beside the
 * spawner's and the launcher's CPU per raw launch, plain and in a process
 * group (when measured).
 */
export function cpuTable(result: BenchResult): string {
  const inGroup = measuredInGroup(result);
  const headers = [
    "table",
    "shape",
    "worker",
    "launchers",
    "master",
    "database",
    "our job",
    "raw spawner",
    "raw launcher",
    ...(inGroup ? ["group spawner", "group launcher"] : []),
  ];
  const rows = result.runs.map((run) => {
    const perJob = run.throughput.cpuPerJobMs;
    return [
      run.variant,
      run.shape,
      ms(perJob.workers),
      ms(perJob.launchers),
      ms(perJob.master),
      ms(perJob.database),
      ms(ourCpuPerJobMs(perJob)),
      ms(run.rawSpawn.spawnerMs),
      ms(run.rawSpawn.launcherMs),
      ...(inGroup ? [ms(run.groupSpawn?.spawnerMs), ms(run.groupSpawn?.launcherMs)] : []),
    ];
  });
  return markdownTable(headers, rows);
}

function optionalPercent(fraction: number | undefined): string {
  return fraction === undefined ? "-" : percent(fraction);
}

/** A raw launch's CPU: the spawner's and the launcher's, milliseconds. */
function launchCpuText(baseline: SpawnBaseline): string {
  return `spawner ${baseline.spawnerMs.toFixed(2)}, launcher ${baseline.launcherMs.toFixed(2)}`;
}

function spawnRows(label: string, spawn: SpawnRate): [string, string][] {
  return [
    [
      `${label} (concurrency ${spawn.concurrency})`,
      `${rate(spawn.perSecond)} (${spawn.count} launches)`,
    ],
    ["  CPU cores busy", cpuText(spawn.cpu, { workers: "spawner", launchers: "launchers" })],
    [
      "  CPU per launch",
      `spawner ${spawn.cpuPerLaunchMs.spawner.toFixed(2)}, ` +
      `launcher ${spawn.cpuPerLaunchMs.launcher.toFixed(2)} ms`,
    ],
  ];
}

function shapeRows(
  run: ShapeRun,
  settings: BenchResult["settings"],
): ([string, string] | string)[] {
  const { throughput } = run;
  const table = run.variant === "worker" ? "worker column" : "no worker column";
  const rows: ([string, string] | string)[] = [
    `Throughput ${run.shape} (${run.targets} target(s) × concurrency ${run.concurrency}, ` +
    `${throughput.jobs} jobs, ${settings.workers} worker(s), ${table})`,
    ...spawnRows("raw spawn, before", run.spawnBefore),
    ...(run.groupSpawnBefore
      ? spawnRows("raw spawn in a group, before", run.groupSpawnBefore)
      : []),
    [
      "end to end, poke to last row done",
      `${rate(throughput.perSecond)} (${(throughput.ms / 1000).toFixed(1)} s)`,
    ],
    ...(run.groupSpawnAfter ? spawnRows("raw spawn in a group, after", run.groupSpawnAfter) : []),
    ...spawnRows("raw spawn, after", run.spawnAfter),
    ["  of the raw spawn rate, before/after mean", percent(run.ratios.spawn)],
    ["  CPU of a raw launch / CPU of our job", percent(run.ratios.cpu)],
  ];
  if (run.ratios.spawnInGroup !== undefined && run.ratios.cpuInGroup !== undefined) {
    rows.push(
      ["  of the raw spawn rate in a group", percent(run.ratios.spawnInGroup)],
      ["  CPU of a raw launch in a group / of our job", percent(run.ratios.cpuInGroup)],
    );
  }
  rows.push(
    [
      "  of single-row UPDATEs, 1 / n connections",
      `${percent(run.ratios.updateSequential)} / ${percent(run.ratios.updateConcurrent)}`,
    ],
    ...runRows(throughput, run),
  );
  for (const manual of run.manual) {
    rows.push([
      `run-manual via ${manual.via} (${manual.calls} calls)`,
      timings(manual.roundTrip),
    ]);
    rows.push([
      "  results",
      `${manual.ok} ok, ${manual.failed} failed${
        manual.firstError ? `: ${manual.firstError}` : ""
      }`,
    ]);
  }
  for (const worker of run.memory) {
    rows.push([
      `${worker.name}: RSS at start`,
      `${fmtMiB(worker.startRss)}, of which files ${fmtMiB(worker.startFileRss)}, ` +
      `malloc [heap] ${fmtMiB(worker.startMallocHeap)}, JS heap ${fmtMiB(worker.startJsHeap)}`,
    ]);
    rows.push([
      "  peak, right after the last job",
      `${fmtMiB(worker.peakRss)}, ${fmtMiB(worker.afterRunRss)}`,
    ]);
    rows.push([
      `  idle after ${worker.idleWaitSeconds} s`,
      `${fmtMiB(worker.idleRss)}, of which files ${fmtMiB(worker.idleFileRss)}, ` +
      `malloc [heap] ${fmtMiB(worker.idleMallocHeap)}, JS heap ${fmtMiB(worker.idleJsHeap)}`,
    ]);
    rows.push(["  every 5 s of the rest", seriesText(worker.idleRssSeries)]);
  }
  if (run.backlog) {
    const backlog = run.backlog.throughput;
    rows.push(
      `${run.variant} ${run.shape} with a backlog of ${run.backlog.rows} other rows${
        Number(settings.delayed ?? 0) > 0
          ? ` and ${settings.delayed} delayed ones due in a day`
          : ""
      } (${backlog.tableRows} in the table)`,
    );
    rows.push([
      "end to end",
      `${rate(backlog.perSecond)} (${(backlog.ms / 1000).toFixed(1)} s), ${
        percent(backlog.perSecond / throughput.perSecond)
      } of the run without`,
    ]);
    rows.push(...runRows(backlog));
  }
  return rows;
}

/** The run as a readable two-column table, section by section, then the summary and the goals. */
export function renderReport(result: BenchResult): string {
  const rows: ([string, string] | string)[] = [];
  const { machine, limits } = result;
  rows.push("Machine");
  rows.push(["cores, memory", `${machine.cores}, ${machine.memoryMiB} MiB (${machine.cpuModel})`]);
  rows.push(["Deno, database", `${machine.deno}, ${machine.database}`]);
  rows.push([
    "durability",
    `innodb_flush_log_at_trx_commit = ${result.settings.innodbFlushLogAtTrxCommit}, ` +
    `innodb_doublewrite = ${result.settings.innodbDoublewrite}`,
  ]);
  rows.push([
    "load average at start / end",
    `${fmtLoad(machine.loadAtStart)} / ${fmtLoad(result.loadAtEnd)}`,
  ]);
  rows.push("Limits of the database server");
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
  for (const run of result.runs) rows.push(...shapeRows(run, result.settings));
  for (const { variant, result: poke } of result.pokeToStart) {
    rows.push(`Poke to start (${variant}, idle worker, via ${poke.via})`);
    rows.push(["launcher started", timings(poke.latency)]);
    rows.push(["poke request round trip", timings(poke.requestRoundTrip)]);
    rows.push(["floor: recorder spawned directly", timings(poke.spawnToStart)]);
    if (poke.startedBeforePoke > 0) {
      rows.push([
        "started before the poke (left out)",
        `${poke.startedBeforePoke} job(s): the worker claimed them on its own`,
      ]);
    }
  }
  rows.push("Goals (issue #20)");
  for (const goal of result.goals) {
    const verdict = goal.met === undefined ? "-" : goal.met ? "met" : "NOT MET";
    rows.push([`${goal.name} ${goal.goal}`, `${goal.value}  ${verdict}`]);
  }
  const width = Math.max(...rows.map((row) => typeof row === "string" ? 0 : row[0].length));
  const text = rows.map((row) =>
    typeof row === "string" ? `\n${row}` : `  ${row[0].padEnd(width)}  ${row[1]}`
  ).join("\n").trimStart();
  const via = result.runs[0]?.manual[0]?.via;
  const inGroup = measuredInGroup(result) ? ", plain and in a process group through setsid" : "";
  return `${text}\n\nSummary (of raw: mean of the raw spawn rate before and after${inGroup}` +
    `${via === undefined ? "" : `; manual p99: via ${via}`})\n${summaryTable(result)}` +
    `\n\nCPU per job and per raw launch, ms (our job: worker, launchers, master, database)\n` +
    cpuTable(result);
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
