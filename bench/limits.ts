/**
 * The two limits jobd cannot beat on a machine, measured beside it in the
 * same run: launching the launcher (what every job costs at the least), and
 * single-row guarded UPDATEs on the same server (each job needs several row
 * writes: accepted, running, done).
 *
 * @module
 */

import type { ResultSetHeader } from "mysql2/promise";
import { groupCommand } from "../src/worker/process_group.ts";
import { CpuMeter, cpuPerOperation, type CpuShare } from "./cpu.ts";
import type { BenchDatabase } from "./database.ts";
import { templateArgv } from "./daemons.ts";
import { nowMs, ratePerSecond } from "./stats.ts";

/** A measured rate. */
export interface Rate {
  /** Operations done. */
  count: number;
  /** Wall time, milliseconds. */
  ms: number;
  /** Operations per second. */
  perSecond: number;
  /** Operations in flight at once. */
  concurrency: number;
}

/**
 * Runs `work(index, lane)` for index 0..count-1 in `concurrency` lanes, each
 * lane one call after another; the rate of the whole.
 */
async function rateOf(
  count: number,
  concurrency: number,
  work: (index: number, lane: number) => Promise<void>,
): Promise<Rate> {
  let next = 0;
  const lanes = Math.max(1, Math.min(concurrency, count));
  const start = nowMs();
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let index = next++; index < count; index = next++) await work(index, lane);
  }));
  const ms = nowMs() - start;
  return { count, ms, perSecond: ratePerSecond(count, ms), concurrency: lanes };
}

/** The raw spawn rate, with where the CPU went. */
export interface SpawnRate extends Rate {
  /** `workers` is the benchmark process spawning, `launchers` its children. */
  cpu: CpuShare;
  /** CPU milliseconds per launch: in the spawning process, and in the launcher itself. */
  cpuPerLaunchMs: { spawner: number; launcher: number };
}

/**
 * Spawns the launcher `count` times with `Deno.Command`, `concurrency` at a
 * time, as the worker does (no shell, stdin closed, stdout and stderr piped
 * and read to their end), `{id}` replaced by 1, 2, ... With `groupStart`
 * (the path of util-linux `setsid`) each launch gets a process group of its
 * own the way the worker gives one to every job: `setsid -- LAUNCHER ARGS`,
 * spawned through Deno's posix_spawn path. Throws if a launch fails, naming
 * the command.
 */
export async function spawnLimit(
  launcher: string,
  options: { count: number; concurrency: number; groupStart?: string },
): Promise<SpawnRate> {
  const launch = async (index: number) => {
    const argv = templateArgv(launcher, { id: String(index + 1) });
    const command = options.groupStart === undefined
      ? { program: argv[0], args: argv.slice(1) }
      : groupCommand(argv, options.groupStart);
    const output = await new Deno.Command(command.program, {
      args: command.args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        `The launcher '${launcher}'${
          options.groupStart === undefined ? "" : ` (through ${options.groupStart})`
        } failed with code ${output.code}: ` +
          new TextDecoder().decode(output.stderr).trim(),
      );
    }
  };
  await launch(0); // Warm up: page cache, first-spawn setup.
  const meter = new CpuMeter({ workers: [Deno.pid] });
  const rate = await rateOf(options.count, options.concurrency, launch);
  const cpu = await meter.finish();
  const perLaunch = cpuPerOperation(cpu, rate.count);
  return {
    ...rate,
    cpu,
    cpuPerLaunchMs: { spawner: perLaunch.workers, launcher: perLaunch.launchers },
  };
}

/** A raw UPDATE rate, with the CPU each UPDATE cost. */
export interface UpdateRate extends Rate {
  /**
   * CPU milliseconds per UPDATE in the client (mysql2 in this process) and in
   * the server (when its process was found).
   */
  cpuPerUpdateMs: { client: number; server: number | undefined };
}

/** Raw UPDATE rates: one connection after another, and several at once. */
export interface UpdateLimits {
  sequential: UpdateRate;
  concurrent: UpdateRate;
}

/**
 * Times `count` single-row guarded UPDATEs
 * (`UPDATE ... SET status='done' WHERE id=? AND status='running'`) on a copy
 * of the jobs table in the same database, first on one connection, then on
 * `connections` connections at once (autocommit, as the worker's own
 * single-row writes). Throws if an UPDATE misses its row.
 */
export async function updateLimits(
  db: BenchDatabase,
  options: { count: number; connections: number; databasePid?: number },
): Promise<UpdateLimits> {
  const table = "jobs_update_limit";
  await db.query(`CREATE TABLE ${table} LIKE jobs`);
  try {
    const sequentialIds = await db.insertJobs(["t1"], options.count, { status: "running", table });
    const concurrentIds = await db.insertJobs(["t1"], options.count, { status: "running", table });
    const connections = await Promise.all(
      Array.from({ length: Math.max(1, options.connections) }, () => db.connect()),
    );
    try {
      const sql = `UPDATE ${table} SET status = 'done' WHERE id = ? AND status = 'running'`;
      const update = async (lane: number, id: number) => {
        const [header] = await connections[lane].query<ResultSetHeader>(sql, [id]);
        if (header.affectedRows !== 1) throw new Error(`UPDATE of row ${id} changed no row`);
      };
      const metered = async (lanes: number, first: number): Promise<UpdateRate> => {
        const meter = new CpuMeter({ workers: [Deno.pid], database: options.databasePid });
        const rate = await rateOf(
          options.count,
          lanes,
          (index, lane) => update(lane, first + index),
        );
        const perUpdate = cpuPerOperation(await meter.finish(), rate.count);
        return {
          ...rate,
          cpuPerUpdateMs: { client: perUpdate.workers, server: perUpdate.database },
        };
      };
      const sequential = await metered(1, sequentialIds.first);
      const concurrent = await metered(connections.length, concurrentIds.first);
      return { sequential, concurrent };
    } finally {
      await Promise.all(connections.map((connection) => connection.end()));
    }
  } finally {
    await db.query(`DROP TABLE ${table}`);
  }
}
