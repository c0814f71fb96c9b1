/**
 * A throughput run set against the raw spawns measured around it: the plain
 * spawn of the launcher (the baseline) and, when measured, its spawn
 * in a process group of its own through `setsid` (the launch every job of the
 * worker pays). Arithmetic only, kept apart to be tested.
 *
 * @module
 */

import type { SpawnRate } from "./limits.ts";

/** A raw spawn baseline of one run: the means of its measurements before and after the run. */
export interface SpawnBaseline {
  /** Launches per second. */
  perSecond: number;
  /** CPU milliseconds per launch in the spawning process (the benchmark). */
  spawnerMs: number;
  /** CPU milliseconds per launch in the launched process (with `setsid`'s `exec`, if any). */
  launcherMs: number;
}

/**
 * The mean of a raw spawn measured before and after a run: the machine's
 * speed drifts (other virtual machines on the host, other processes), so a
 * run is set against both.
 */
export function spawnBaseline(before: SpawnRate, after: SpawnRate): SpawnBaseline {
  const mean = (a: number, b: number) => (a + b) / 2;
  return {
    perSecond: mean(before.perSecond, after.perSecond),
    spawnerMs: mean(before.cpuPerLaunchMs.spawner, after.cpuPerLaunchMs.spawner),
    launcherMs: mean(before.cpuPerLaunchMs.launcher, after.cpuPerLaunchMs.launcher),
  };
}

/**
 * CPU milliseconds of one of our jobs: workers, launchers, master and
 * database (every party measured but the benchmark itself).
 */
export function ourCpuPerJobMs(cpuPerJobMs: Record<string, number>): number {
  return Object.entries(cpuPerJobMs)
    .filter(([party]) => party !== "bench")
    .reduce((sum, [, ms]) => sum + ms, 0);
}

/** A run against one baseline. */
export interface BaselineRatios {
  /** Jobs per second over the baseline's launches per second. */
  rate: number;
  /**
   * CPU of one launch of the baseline (spawner and launcher) over CPU of one
   * of our jobs: the fraction of its rate we would reach if CPU were the only
   * limit; less disturbed than the rates by other processes.
   */
  cpu: number;
}

/** `jobsPerSecond` and the CPU of our job (`ourCpuPerJobMs`) against `baseline`. */
export function ratiosAgainst(
  jobsPerSecond: number,
  ourCpuMs: number,
  baseline: SpawnBaseline,
): BaselineRatios {
  return {
    rate: jobsPerSecond / baseline.perSecond,
    cpu: (baseline.spawnerMs + baseline.launcherMs) / ourCpuMs,
  };
}
