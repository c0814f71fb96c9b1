/**
 * `deno task bench`: how fast jobd is, and how far from what this machine
 * allows. Starts (or reuses) MariaDB, durable by default; for each table
 * variant and shape starts a master and workers as subprocesses and runs
 * background jobs and run-manual calls beside the raw spawn rates at the same
 * concurrency (plain, and in a process group through `setsid`); per variant,
 * poke-to-start samples. Prints a table and writes
 * JSON to bench/results/. Nothing here asserts: see bench/README.md.
 *
 * @module
 */

import { Cluster } from "./cluster.ts";
import { findDatabasePid } from "./cpu.ts";
import { BenchDatabase } from "./database.ts";
import { judgeGoals } from "./goals.ts";
import { updateLimits } from "./limits.ts";
import { describeMachine } from "./machine.ts";
import { type BenchOptions, parseBenchArgs, ROOT, shapeName } from "./options.ts";
import { measurePokeToStart } from "./phases.ts";
import { type BenchResult, renderReport, type VariantPokeToStart, writeResult } from "./report.ts";
import {
  clusterOptionsOf,
  measureShape,
  type ShapeRun,
  type ShapeRunContext,
} from "./shape_run.ts";
import { findGroupStart } from "../src/worker/process_group.ts";
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
  log(
    options.mysql
      ? "Connecting to the given MariaDB"
      : `Starting a throwaway MariaDB (${options.relaxedDb ? "relaxed" : "durable"} commits)`,
  );
  const db = await BenchDatabase.open(options.mysql, {
    workerColumn: options.variants[0] === "worker",
    timeColumns: options.delayed > 0,
    durability: options.relaxedDb ? "relaxed" : "durable",
  });
  cleanups.push(() => db[Symbol.asyncDispose]());
  const machine = await describeMachine(db.version);
  const databasePid = await findDatabasePid(db.address.port);

  log(`Raw UPDATE rate: ${options.updateSamples} single-row UPDATEs, sequential and concurrent`);
  const update = await updateLimits(db, {
    count: options.updateSamples,
    connections: UPDATE_CONNECTIONS_PER_WORKER * options.workers,
    databasePid,
  });

  // The worker's own way to a process group; without `setsid` (not Linux) it forks instead.
  const groupStart = options.groupSpawn ? findGroupStart() ?? undefined : undefined;
  if (options.groupSpawn && groupStart === undefined) {
    log("No 'setsid' on the PATH: the raw spawn in a process group is not measured");
  }

  const runs: ShapeRun[] = [];
  const pokeToStart: VariantPokeToStart[] = [];
  const context = (backlog: number): ShapeRunContext => ({
    options,
    db,
    dir,
    databasePid,
    update,
    groupStart,
    backlog,
    cleanups,
    log,
  });
  for (const [variantIndex, variant] of options.variants.entries()) {
    await db.createTable({ workerColumn: variant === "worker", timeColumns: options.delayed > 0 });
    for (const [shapeIndex, shape] of options.shapes.entries()) {
      // The backlog, if any, is added after the last run, whose table it would otherwise burden.
      const last = variantIndex === options.variants.length - 1 &&
        shapeIndex === options.shapes.length - 1;
      runs.push(await measureShape(context(last ? options.backlog : 0), variant, shape));
    }
    if (options.latency > 0) {
      log(`[${variant}] poke-to-start: ${options.latency} samples on an idle worker`);
      const latencyCluster = await Cluster.start({
        ...clusterOptionsOf(context(0), { targets: 1, concurrency: 1 }, `${variant}-latency`),
        workers: 1,
        targets: { lat: 1 },
        launcher: `${RECORDER} {id} ${dir}/starts`,
      });
      cleanups.push(() => latencyCluster.stop());
      try {
        pokeToStart.push({
          variant,
          result: await measurePokeToStart(db, latencyCluster, {
            samples: options.latency,
            target: "lat",
            recorder: RECORDER,
            startsPath: `${dir}/starts`,
            pokeThrottle: options.pokeThrottle,
            log,
          }),
        });
      } finally {
        await latencyCluster.stop();
      }
    }
  }

  return {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((performance.now() - began) / 100) / 10,
    machine,
    settings: {
      jobs: options.jobs,
      workers: options.workers,
      shapes: options.shapes.map(shapeName).join(","),
      variants: options.variants.join(","),
      fetchLimit: options.fetchLimit,
      launcher: options.launcher,
      workerCmd: options.workerCmd,
      masterCmd: options.masterCmd ?? "none",
      pokeThrottle: options.pokeThrottle,
      manual: options.manual,
      latency: options.latency,
      backlog: options.backlog,
      delayed: options.delayed,
      spawnSamples: options.spawnSamples,
      groupSpawn: groupStart ?? "not measured",
      idleWait: options.idleWait,
      database: db.throwaway ? "throwaway MariaDB" : "given server",
      innodbFlushLogAtTrxCommit: db.durability.flushLogAtTrxCommit,
      innodbDoublewrite: db.durability.doublewrite,
    },
    limits: { update },
    runs,
    pokeToStart,
    loadAtEnd: Deno.loadavg(),
    goals: judgeGoals({ runs, pokeToStart }),
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
