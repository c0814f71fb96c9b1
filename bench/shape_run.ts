/**
 * One throughput run of the benchmark: one shape (targets × concurrency) on
 * one jobs table variant, beside the raw spawn rates at the same concurrency
 * (plain, and in a process group through `setsid`) measured just before and
 * just after it, then the run-manual calls and the workers' rest on the same
 * daemons.
 *
 * @module
 */

import {
  type BaselineRatios,
  ourCpuPerJobMs,
  ratiosAgainst,
  type SpawnBaseline,
  spawnBaseline,
} from "./baseline.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import type { BenchDatabase } from "./database.ts";
import { spawnLimit, type SpawnRate, type UpdateLimits } from "./limits.ts";
import { readMemory, readRss } from "./memory.ts";
import { type BenchOptions, type Shape, shapeName, type TableVariant } from "./options.ts";
import {
  type ManualResult,
  measureRunManual,
  measureThroughput,
  type ProgressLog,
  type ThroughputResult,
} from "./phases.ts";
import type { WorkerMemory } from "./report.ts";

/** Throughput as a fraction of each limit, and the CPU ratios (see `BaselineRatios`). */
export interface RunRatios {
  /** Of the plain raw spawn rate at the same concurrency, mean of before and after. */
  spawn: number;
  /**
   * CPU time of a plain raw launch (spawner and launcher, the mean of before
   * and after) over CPU time of one of our jobs (workers, launchers, master,
   * database).
   */
  cpu: number;
  /** Of the raw spawn rate in a process group (`setsid`), when measured. */
  spawnInGroup: number | undefined;
  /** CPU time of a raw launch in a process group over CPU time of one of our jobs. */
  cpuInGroup: number | undefined;
  updateSequential: number;
  updateConcurrent: number;
}

/** Everything measured for one shape on one table variant. */
export interface ShapeRun {
  variant: TableVariant;
  /** `TxC`, such as `1x4`. */
  shape: string;
  targets: number;
  concurrency: number;
  /** Jobs in flight at most: workers × targets × concurrency; the raw spawns' concurrency. */
  totalConcurrency: number;
  /** The plain raw spawn (no process group), before and after the run. */
  spawnBefore: SpawnRate;
  spawnAfter: SpawnRate;
  /** The raw spawn in a process group of its own through `setsid`; undefined: not measured. */
  groupSpawnBefore: SpawnRate | undefined;
  groupSpawnAfter: SpawnRate | undefined;
  throughput: ThroughputResult;
  ratios: RunRatios;
  /** The plain raw spawn, mean of before and after. */
  rawSpawn: SpawnBaseline;
  /** The raw spawn in a process group, mean of before and after; undefined: not measured. */
  groupSpawn: SpawnBaseline | undefined;
  manual: ManualResult[];
  memory: WorkerMemory[];
  /** The same daemons run again with a backlog of other rows (`--backlog`, last run only). */
  backlog: { rows: number; throughput: ThroughputResult } | undefined;
}

/** What a run needs besides its shape. */
export interface ShapeRunContext {
  options: BenchOptions;
  db: BenchDatabase;
  dir: string;
  databasePid: number | undefined;
  update: UpdateLimits;
  /** The `setsid` of the raw spawns in a process group; undefined: those are not measured. */
  groupStart: string | undefined;
  /** Rows of backlog to add after this run and measure again (0: none). */
  backlog: number;
  cleanups: (() => Promise<void>)[];
  log: ProgressLog;
}

/** Target names of a shape: t1, t2, ... */
export function targetNames(shape: Shape): string[] {
  return Array.from({ length: shape.targets }, (_, index) => `t${index + 1}`);
}

/** The cluster options of a shape: `name` prefixes the daemons' names and files. */
export function clusterOptionsOf(
  context: ShapeRunContext,
  shape: Shape,
  name: string,
): ClusterOptions {
  const { options } = context;
  return {
    dir: context.dir,
    name,
    db: context.db,
    workerCmd: options.workerCmd,
    masterCmd: options.masterCmd,
    workers: options.workers,
    targets: Object.fromEntries(targetNames(shape).map((target) => [target, shape.concurrency])),
    launcher: options.launcher,
    fetchLimit: options.fetchLimit,
    pokeThrottle: options.pokeThrottle,
  };
}

/**
 * Measures `shape` on the table as it is (of `variant`): the raw spawn rates
 * at the same concurrency (plain, then in a process group if asked), a fresh
 * master and workers, the throughput, the raw spawn rates again (in the
 * reverse order), run-manual calls, the workers' rest; stops the daemons at
 * the end.
 */
export async function measureShape(
  context: ShapeRunContext,
  variant: TableVariant,
  shape: Shape,
): Promise<ShapeRun> {
  const { options, db, log } = context;
  const name = `${variant}-${shapeName(shape)}`;
  const targets = targetNames(shape);
  const totalConcurrency = options.workers * shape.targets * shape.concurrency;
  const spawn = (groupStart?: string) =>
    spawnLimit(options.launcher, {
      count: options.spawnSamples,
      concurrency: totalConcurrency,
      groupStart,
    });
  const { groupStart } = context;
  log(`[${name}] raw spawn rate: ${options.spawnSamples} launches, ${totalConcurrency} at a time`);
  const spawnBefore = await spawn();
  if (groupStart !== undefined) log(`[${name}] raw spawn rate in a process group (${groupStart})`);
  const groupSpawnBefore = groupStart === undefined ? undefined : await spawn(groupStart);

  log(`[${name}] starting ${options.masterCmd ? "a master and " : ""}${options.workers} worker(s)`);
  const cluster = await Cluster.start(clusterOptionsOf(context, shape, name));
  context.cleanups.push(() => cluster.stop());
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const startMemory = await Promise.all(cluster.workers.map((worker) => readMemory(worker.pid)));
    const startStatus = await Promise.all(
      cluster.workers.map((_, index) => cluster.workerStatus(index).catch(() => undefined)),
    );

    log(`[${name}] throughput: ${options.jobs} jobs over ${targets.join(", ")}`);
    const throughput = await measureThroughput(db, cluster, {
      label: `throughput ${name}`,
      targets,
      jobs: options.jobs,
      fetchLimit: options.fetchLimit,
      databasePid: context.databasePid,
      statementLog: options.statementKinds ? `${context.dir}/${name}-general.log` : undefined,
      log,
    });

    // In the reverse order of before: both means are centred on the run.
    if (groupStart !== undefined) log(`[${name}] raw spawn rate in a process group again`);
    const groupSpawnAfter = groupStart === undefined ? undefined : await spawn(groupStart);
    log(`[${name}] raw spawn rate again`);
    const spawnAfter = await spawn();

    let manual: ManualResult[] = [];
    if (options.manual > 0) {
      log(`[${name}] run-manual: ${options.manual} sequential calls per way`);
      manual = await measureRunManual(db, cluster, {
        count: options.manual,
        target: targets[0],
        ways: cluster.master ? ["master", "worker"] : ["worker"],
        log,
      });
    }

    log(`[${name}] resting ${options.idleWait} s, reading the workers' RSS every second`);
    const idleSeries = await restAndSample(
      cluster.workers.map((worker) => worker.pid),
      options.idleWait,
    );
    const memory: WorkerMemory[] = await Promise.all(
      cluster.workers.map(async (worker, index) => {
        const reading = await readMemory(worker.pid);
        const status = await cluster.workerStatus(index).catch(() => undefined);
        return {
          name: worker.name,
          startRss: startMemory[index]?.rss,
          startMallocHeap: startMemory[index]?.mallocHeap,
          startFileRss: startMemory[index]?.fileRss,
          startJsHeap: startStatus[index]?.memoryUsage?.heapTotal,
          peakRssSampled: throughput.peakRss[index],
          peakRss: reading?.hwm,
          afterRunRss: idleSeries[index][0],
          idleRss: reading?.rss,
          idleMallocHeap: reading?.mallocHeap,
          idleFileRss: reading?.fileRss,
          idleJsHeap: status?.memoryUsage?.heapTotal,
          idleWaitSeconds: options.idleWait,
          idleRssSeries: idleSeries[index],
        };
      }),
    );

    let backlog: ShapeRun["backlog"];
    if (context.backlog > 0) {
      log(`[${name}] backlog: adding ${context.backlog} rows in other statuses and targets`);
      await db.insertBacklog(targets, context.backlog);
      if (options.delayed > 0) {
        log(`[${name}] backlog: adding ${options.delayed} delayed rows of the served targets`);
        await db.insertDelayed(targets, options.delayed);
      }
      await db.query("ANALYZE TABLE jobs");
      const run = await measureThroughput(db, cluster, {
        label: `throughput ${name} with backlog`,
        targets,
        jobs: options.jobs,
        fetchLimit: options.fetchLimit,
        databasePid: context.databasePid,
        log,
      });
      backlog = { rows: context.backlog, throughput: run };
    }

    const ourCpuMs = ourCpuPerJobMs(throughput.cpuPerJobMs);
    const rawSpawn = spawnBaseline(spawnBefore, spawnAfter);
    const groupSpawn = groupSpawnBefore && groupSpawnAfter
      ? spawnBaseline(groupSpawnBefore, groupSpawnAfter)
      : undefined;
    const plain = ratiosAgainst(throughput.perSecond, ourCpuMs, rawSpawn);
    const inGroup: BaselineRatios | undefined = groupSpawn &&
      ratiosAgainst(throughput.perSecond, ourCpuMs, groupSpawn);
    const ratios: RunRatios = {
      spawn: plain.rate,
      cpu: plain.cpu,
      spawnInGroup: inGroup?.rate,
      cpuInGroup: inGroup?.cpu,
      updateSequential: throughput.perSecond / context.update.sequential.perSecond,
      updateConcurrent: throughput.perSecond / context.update.concurrent.perSecond,
    };
    return {
      variant,
      shape: shapeName(shape),
      targets: shape.targets,
      concurrency: shape.concurrency,
      totalConcurrency,
      spawnBefore,
      spawnAfter,
      groupSpawnBefore,
      groupSpawnAfter,
      throughput,
      ratios,
      rawSpawn,
      groupSpawn,
      manual,
      memory,
      backlog,
    };
  } finally {
    await cluster.stop();
  }
}

/**
 * Waits `seconds`, reading each process's RSS at once and then every second;
 * per process, the readings in bytes (undefined once it has gone).
 */
async function restAndSample(
  pids: number[],
  seconds: number,
): Promise<(number | undefined)[][]> {
  const series: (number | undefined)[][] = pids.map(() => []);
  const start = performance.now();
  for (let second = 0;; second++) {
    const readings = await Promise.all(pids.map(readRss));
    readings.forEach((rss, index) => series[index].push(rss));
    if (second >= seconds) return series;
    const next = start + (second + 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
}
