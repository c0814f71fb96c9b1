/**
 * The goals of issue #20, judged on one invocation's runs: durable server,
 * `worker` column unless said otherwise, ratios against the raw spawn rate
 * measured in the same run (the plain one, as the issue sets them, and beside
 * it the one in a process group, when measured). Informational: nothing
 * fails on them.
 *
 * @module
 */

import { mib } from "./memory.ts";
import type { TableVariant } from "./options.ts";
import type { PokeToStartResult } from "./phases.ts";
import type { ShapeRun } from "./shape_run.ts";

/** One goal and whether the runs met it; `met` undefined: not measured. */
export interface Goal {
  name: string;
  goal: string;
  value: string;
  met: boolean | undefined;
}

/** Throughput goals: fraction of the raw spawn rate per shape and table variant. */
export const THROUGHPUT_GOALS: readonly { variant: TableVariant; shape: string; min: number }[] = [
  { variant: "worker", shape: "1x4", min: 0.8 },
  { variant: "worker", shape: "4x2", min: 0.8 },
  { variant: "worker", shape: "1x1", min: 0.7 },
  { variant: "no-worker", shape: "1x4", min: 0.6 },
];

/** Statements per job at 4x2 with the worker column, at most. */
export const STATEMENTS_PER_JOB_GOAL = 0.3;
/** The worker's CPU per job over the raw spawner's CPU per launch, at most. */
export const WORKER_CPU_GOAL = 1.3;
/** Poke-to-start p99 and run-manual round trip p99, milliseconds, below. */
export const POKE_P99_GOAL_MS = 20;
export const MANUAL_P99_GOAL_MS = 10;
/** Worker RSS, MiB, below. */
export const IDLE_RSS_GOAL_MIB = 60;
export const PEAK_RSS_GOAL_MIB = 100;

const NOT_MEASURED = { value: "not measured", met: undefined };

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** The worst (largest) of `values` and the run it came from; undefined if none. */
function worst(
  runs: readonly ShapeRun[],
  valueOf: (run: ShapeRun) => number | undefined,
): { value: number; run: ShapeRun } | undefined {
  let found: { value: number; run: ShapeRun } | undefined;
  for (const run of runs) {
    const value = valueOf(run);
    if (value !== undefined && (found === undefined || value > found.value)) found = { value, run };
  }
  return found;
}

/**
 * Judges the goals of issue #20. The CPU, run-manual and memory goals take
 * the worst run with the worker column (any run when none has it).
 */
export function judgeGoals(
  result: {
    runs: readonly ShapeRun[];
    pokeToStart: readonly { variant: TableVariant; result: PokeToStartResult }[];
  },
): Goal[] {
  const goals: Goal[] = [];
  const inGroup = result.runs.some((run) => run.ratios.spawnInGroup !== undefined);
  for (const { variant, shape, min } of THROUGHPUT_GOALS) {
    const run = result.runs.find((run) => run.variant === variant && run.shape === shape);
    goals.push({
      name: `throughput ${shape} ${variant} / raw spawn rate`,
      goal: `≥ ${min * 100} %`,
      ...(run ? { value: percent(run.ratios.spawn), met: run.ratios.spawn >= min } : NOT_MEASURED),
    });
    // Beside a measured run only: a shape not measured is said once.
    if (!inGroup || run === undefined) continue;
    const ratio = run.ratios.spawnInGroup;
    goals.push({
      name: `throughput ${shape} ${variant} / raw spawn rate in a group`,
      goal: `≥ ${min * 100} %`,
      ...(ratio === undefined ? NOT_MEASURED : { value: percent(ratio), met: ratio >= min }),
    });
  }
  const at4x2 = result.runs.find((run) => run.variant === "worker" && run.shape === "4x2");
  const statements = at4x2?.throughput.statementsPerJob.questions;
  goals.push({
    name: "statements per job 4x2 worker",
    goal: `≤ ${STATEMENTS_PER_JOB_GOAL}`,
    ...(statements === undefined
      ? NOT_MEASURED
      : { value: String(statements), met: statements <= STATEMENTS_PER_JOB_GOAL }),
  });
  const judged = result.runs.some((run) => run.variant === "worker")
    ? result.runs.filter((run) => run.variant === "worker")
    : result.runs;
  const cpu = worst(judged, (run) => {
    const worker = run.throughput.cpuPerJobMs.workers;
    return worker === undefined || run.rawSpawn.spawnerMs <= 0
      ? undefined
      : worker / run.rawSpawn.spawnerMs;
  });
  goals.push({
    name: "worker CPU per job / raw spawner CPU per launch",
    goal: `≤ ${WORKER_CPU_GOAL}`,
    ...(cpu === undefined ? NOT_MEASURED : {
      value: `${cpu.value.toFixed(2)} (worst: ${cpu.run.variant} ${cpu.run.shape})`,
      met: cpu.value <= WORKER_CPU_GOAL,
    }),
  });
  const pokes = result.pokeToStart.some((entry) => entry.variant === "worker")
    ? result.pokeToStart.filter((entry) => entry.variant === "worker")
    : result.pokeToStart;
  const poke = pokes.map((entry) => entry.result.latency?.p99)
    .filter((p99): p99 is number => p99 !== undefined);
  goals.push({
    name: "poke-to-start p99",
    goal: `< ${POKE_P99_GOAL_MS} ms`,
    ...(poke.length === 0 ? NOT_MEASURED : {
      value: `${Math.max(...poke).toFixed(1)} ms`,
      met: Math.max(...poke) < POKE_P99_GOAL_MS,
    }),
  });
  const manual = worst(
    judged,
    (run) => {
      const p99s = run.manual.map((entry) => entry.roundTrip?.p99)
        .filter((p99): p99 is number => p99 !== undefined);
      return p99s.length === 0 ? undefined : Math.max(...p99s);
    },
  );
  goals.push({
    name: "run-manual round trip p99",
    goal: `< ${MANUAL_P99_GOAL_MS} ms`,
    ...(manual === undefined ? NOT_MEASURED : {
      value: `${manual.value.toFixed(1)} ms (worst: ${manual.run.variant} ${manual.run.shape})`,
      met: manual.value < MANUAL_P99_GOAL_MS,
    }),
  });
  for (
    const [field, label, limit] of [
      ["idleRss", "worker idle RSS", IDLE_RSS_GOAL_MIB],
      ["peakRss", "worker peak RSS", PEAK_RSS_GOAL_MIB],
    ] as const
  ) {
    const memory = worst(judged, (run) => {
      const values = run.memory.map((worker) => worker[field]);
      return values.length > 0 && values.every((value) => value !== undefined)
        ? Math.max(...values as number[])
        : undefined;
    });
    goals.push({
      name: label,
      goal: `< ${limit} MiB`,
      ...(memory === undefined ? NOT_MEASURED : {
        value: `${mib(memory.value)} MiB (worst: ${memory.run.variant} ${memory.run.shape})`,
        met: memory.value < limit * 1024 * 1024,
      }),
    });
  }
  return goals;
}
