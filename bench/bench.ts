/**
 * `deno task bench`: how fast jobd is, and how far from what this machine
 * allows. Starts (or reuses) MariaDB, a master and workers as subprocesses,
 * runs background jobs, run-manual calls and poke-to-start samples, measures
 * the raw limits beside them, prints a table and writes JSON to
 * bench/results/. Nothing here asserts: see bench/README.md.
 *
 * @module
 */

import { Cluster, type ClusterOptions } from "./cluster.ts";
import { findDatabasePid } from "./cpu.ts";
import { BenchDatabase } from "./database.ts";
import { spawnLimit, type SpawnRate, updateLimits } from "./limits.ts";
import { describeMachine } from "./machine.ts";
import { readMemory, readRss } from "./memory.ts";
import { type BenchOptions, parseBenchArgs, ROOT } from "./options.ts";
import {
  type ManualResult,
  measurePokeToStart,
  measureRunManual,
  measureThroughput,
  type PokeToStartResult,
} from "./phases.ts";
import {
  type BenchResult,
  judgeGoals,
  renderReport,
  type WorkerMemory,
  writeResult,
} from "./report.ts";
import { messageOf } from "../src/text.ts";

/** The launcher of the poke-to-start samples: appends `ID START_NS` to a file. */
const RECORDER = `${ROOT}bench/start_recorder.sh`;

/** Connections of the raw concurrent UPDATE limit per worker: the worker's pool size. */
const UPDATE_CONNECTIONS_PER_WORKER = 4;

function log(line: string): void {
  console.error(line);
}

/** Runs the benchmark; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  const command = parseBenchArgs(args);
  if (command.action === "exit") {
    (command.code === 0 ? console.log : console.error)(command.text);
    return command.code;
  }
  const options = command.options;
  const dir = await Deno.makeTempDir({ prefix: "jobd-bench-" });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    if (options.keep) log(`Configs, logs and launcher records kept in ${dir}`);
    else await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log("Interrupted: stopping the daemons and the database");
    cleanUp().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const result = await run(options, dir, cleanups);
    console.log(renderReport(result));
    const path = await writeResult(result, options.out);
    console.log(`\nResults written to ${path}`);
    return 0;
  } catch (error) {
    // Interrupted: the daemons were stopped under the run; the signal handler exits.
    if (interrupted) return 130;
    console.error(`bench: ${messageOf(error)}`);
    if (!options.keep) console.error("(run with --keep to keep the daemons' logs)");
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanUp();
  }
}

async function run(
  options: BenchOptions,
  dir: string,
  cleanups: (() => Promise<void>)[],
): Promise<BenchResult> {
  const startedAt = new Date();
  const began = performance.now();
  log(options.mysql ? "Connecting to the given MariaDB" : "Starting a throwaway MariaDB");
  const db = await BenchDatabase.open(options.mysql, {
    workerColumn: options.workerColumn,
    timeColumns: options.delayed > 0,
  });
  cleanups.push(() => db[Symbol.asyncDispose]());
  const machine = await describeMachine(db.version);
  const databasePid = await findDatabasePid(db.address.port);

  const targets = Array.from({ length: options.targets }, (_, index) => `t${index + 1}`);
  const totalConcurrency = options.workers * options.targets * options.concurrency;
  log(
    `Raw spawn rate: ${options.spawnSamples} launches of '${options.launcher}', ` +
      `${totalConcurrency} at a time`,
  );
  const spawn = await spawnLimit(options.launcher, {
    count: options.spawnSamples,
    concurrency: totalConcurrency,
  });
  log(`Raw UPDATE rate: ${options.updateSamples} single-row UPDATEs, sequential and concurrent`);
  const update = await updateLimits(db, {
    count: options.updateSamples,
    connections: UPDATE_CONNECTIONS_PER_WORKER * options.workers,
    databasePid,
  });

  const clusterOptions: ClusterOptions = {
    dir,
    name: "main",
    db,
    workerCmd: options.workerCmd,
    masterCmd: options.masterCmd,
    workers: options.workers,
    targets: Object.fromEntries(targets.map((target) => [target, options.concurrency])),
    launcher: options.launcher,
    fetchLimit: options.fetchLimit,
    pokeThrottle: options.pokeThrottle,
  };
  log(`Starting ${options.masterCmd ? "a master and " : ""}${options.workers} worker(s)`);
  const cluster = await Cluster.start(clusterOptions);
  cleanups.push(() => cluster.stop());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const startMemory = await Promise.all(cluster.workers.map((worker) => readMemory(worker.pid)));
  const startStatus = await Promise.all(
    cluster.workers.map((_, index) => cluster.workerStatus(index).catch(() => undefined)),
  );

  log(`Throughput: ${options.jobs} jobs over ${targets.join(", ")}`);
  const throughput = await measureThroughput(db, cluster, {
    label: "throughput",
    targets,
    jobs: options.jobs,
    fetchLimit: options.fetchLimit,
    databasePid,
    log,
  });

  log("Raw spawn rate again, after the throughput run");
  const spawnAfter = await spawnLimit(options.launcher, {
    count: options.spawnSamples,
    concurrency: totalConcurrency,
  });

  const manual: ManualResult[] = [];
  if (options.manual > 0) {
    log(`Run-manual: ${options.manual} sequential calls`);
    if (cluster.master) {
      manual.push(
        await measureRunManual(db, cluster, {
          count: options.manual,
          target: targets[0],
          via: "master",
          log,
        }),
      );
    }
    manual.push(
      await measureRunManual(db, cluster, {
        count: options.manual,
        target: targets[0],
        via: "worker",
        log,
      }),
    );
  }

  log(`Resting ${options.idleWait} s, reading the workers' RSS every second`);
  const idleSeries = await restAndSample(
    cluster.workers.map((worker) => worker.pid),
    options.idleWait,
  );
  const memory: WorkerMemory[] = await Promise.all(cluster.workers.map(async (worker, index) => {
    const reading = await readMemory(worker.pid);
    const status = await cluster.workerStatus(index).catch(() => undefined);
    return {
      name: worker.name,
      startRss: startMemory[index]?.rss,
      startMallocHeap: startMemory[index]?.mallocHeap,
      startJsHeap: startStatus[index]?.memoryUsage?.heapTotal,
      peakRssSampled: throughput.peakRss[index],
      peakRss: reading?.hwm,
      afterRunRss: idleSeries[index][0],
      idleRss: reading?.rss,
      idleMallocHeap: reading?.mallocHeap,
      idleJsHeap: status?.memoryUsage?.heapTotal,
      idleWaitSeconds: options.idleWait,
      idleRssSeries: idleSeries[index],
    };
  }));

  let backlog: BenchResult["backlog"];
  if (options.backlog > 0) {
    log(`Backlog: adding ${options.backlog} rows in other statuses and targets`);
    await db.insertBacklog(targets, options.backlog);
    if (options.delayed > 0) {
      log(`Backlog: adding ${options.delayed} delayed rows of the served targets, due in a day`);
      await db.insertDelayed(targets, options.delayed);
    }
    await db.query("ANALYZE TABLE jobs");
    const run = await measureThroughput(db, cluster, {
      label: "throughput with backlog",
      targets,
      jobs: options.jobs,
      fetchLimit: options.fetchLimit,
      databasePid,
      log,
    });
    backlog = { rows: options.backlog, throughput: run };
  }
  await cluster.stop();

  let pokeToStart: PokeToStartResult | undefined;
  if (options.latency > 0) {
    log(`Poke-to-start: ${options.latency} samples on an idle worker`);
    const latencyCluster = await Cluster.start({
      ...clusterOptions,
      name: "latency",
      workers: 1,
      targets: { lat: 1 },
      launcher: `${RECORDER} {id} ${dir}/starts`,
    });
    cleanups.push(() => latencyCluster.stop());
    pokeToStart = await measurePokeToStart(db, latencyCluster, {
      samples: options.latency,
      target: "lat",
      recorder: RECORDER,
      startsPath: `${dir}/starts`,
      pokeThrottle: options.pokeThrottle,
      log,
    });
    await latencyCluster.stop();
  }

  const ourCpuPerJob = Object.entries(throughput.cpuPerJobMs)
    .filter(([party]) => party !== "bench")
    .reduce((sum, [, ms]) => sum + ms, 0);
  // The machine's speed drifts (other virtual machines on the host): the
  // throughput is set against the mean of the limits measured before and after it.
  const rawCpuPerLaunch = (rate: SpawnRate) =>
    rate.cpuPerLaunchMs.spawner + rate.cpuPerLaunchMs.launcher;
  const ratios = {
    spawn: throughput.perSecond / ((spawn.perSecond + spawnAfter.perSecond) / 2),
    cpu: (rawCpuPerLaunch(spawn) + rawCpuPerLaunch(spawnAfter)) / 2 / ourCpuPerJob,
    updateSequential: throughput.perSecond / update.sequential.perSecond,
    updateConcurrent: throughput.perSecond / update.concurrent.perSecond,
  };
  return {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((performance.now() - began) / 100) / 10,
    machine,
    settings: {
      jobs: options.jobs,
      workers: options.workers,
      targets: options.targets,
      concurrency: options.concurrency,
      fetchLimit: options.fetchLimit,
      launcher: options.launcher,
      workerCmd: options.workerCmd,
      masterCmd: options.masterCmd ?? "none",
      pokeThrottle: options.pokeThrottle,
      manual: options.manual,
      latency: options.latency,
      backlog: options.backlog,
      delayed: options.delayed,
      database: db.throwaway ? "throwaway MariaDB" : "given server",
      workerColumn: options.workerColumn,
    },
    limits: { spawn, spawnAfter, update },
    throughput,
    ratios,
    manual,
    pokeToStart,
    memory,
    backlog,
    loadAtEnd: Deno.loadavg(),
    goals: judgeGoals({ ratios, pokeToStart, memory }),
  };
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

if (import.meta.main) Deno.exit(await main(Deno.args));
