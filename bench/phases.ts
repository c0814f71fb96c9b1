/**
 * The measured phases of a run: background throughput, run-manual round
 * trips and poke-to-start latency. Each takes a running cluster and the
 * database, and returns its figures; none asserts anything.
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";
import { CpuMeter, cpuPerOperation, type CpuShare } from "./cpu.ts";
import type { BenchDatabase } from "./database.ts";
import { RssSampler } from "./memory.ts";
import { nowMs, ratePerSecond, summarize, type Summary, wallClockMs } from "./stats.ts";
import { classifyGeneralLog, type StatementKinds } from "./statement_kinds.ts";

/** Seconds without a single job finishing before a throughput run is declared stuck. */
const STALL_SECONDS = 60;

/** Milliseconds between looks at the table while waiting for the jobs. */
const WATCH_INTERVAL_MS = 100;

/** How often the throughput run counts its done rows, for the progress line and the stall check. */
const COUNT_INTERVAL_MS = 5000;

/** Milliseconds between a poke-to-start job being done and the next row being inserted. */
const SETTLE_MS = 20;

/** The claim query's plan and whether it reads the `(status, target, id)` index in order. */
export interface ClaimPlan {
  rows: Record<string, unknown>[];
  usesIndex: boolean;
  filesort: boolean;
}

/** Where progress lines go. */
export type ProgressLog = (line: string) => void;

/** Figures of one throughput run. */
export interface ThroughputResult {
  label: string;
  jobs: number;
  /** Rows in the table during the run (the run's jobs plus any backlog). */
  tableRows: number;
  /** From just before the poke until every row was seen `done`, milliseconds. */
  ms: number;
  perSecond: number;
  /** Rows by `result` at the end (`ok`, `fail`). */
  results: Record<string, number>;
  /** The claim query alone, with the run's rows waiting, milliseconds (rolled back). */
  claimQuery: Summary | undefined;
  /** `EXPLAIN` of the claim query with the run's rows waiting. */
  explain: ClaimPlan;
  /**
   * Statements the server ran during the run, per job (`Questions`,
   * `Com_select`, ... divided by the jobs): server-wide, so a shared server's
   * other clients count too.
   */
  statementsPerJob: Record<string, number>;
  /** The statements by step of a job's path, from the general log (`--statement-kinds`). */
  statementKinds: StatementKinds | undefined;
  cpu: CpuShare;
  /** CPU milliseconds per job of each party. */
  cpuPerJobMs: Record<string, number>;
  /** Largest RSS sampled per worker during the run, bytes. */
  peakRss: number[];
}

/**
 * Inserts `jobs` waiting rows over `targets`, pokes them once and waits until
 * every one is `done`. Throws when no job finishes for a minute or a daemon
 * exits, with the log's end.
 */
export async function measureThroughput(
  db: BenchDatabase,
  cluster: Cluster,
  options: {
    label: string;
    targets: readonly string[];
    jobs: number;
    fetchLimit: number;
    databasePid: number | undefined;
    /** Where the server writes its general log during the run (undefined: no log). */
    statementLog?: string;
    log: ProgressLog;
  },
): Promise<ThroughputResult> {
  const { jobs, log, label } = options;
  const range = await db.insertJobs(options.targets, jobs);
  const claimQuery = await db.claimCost(options.targets[0], options.fetchLimit, 200);
  const planRows = await db.explainClaim(options.targets[0], options.fetchLimit);
  const explain: ClaimPlan = {
    rows: planRows,
    usesIndex: planRows.some((row) => row.key === "status_target_idx"),
    filesort: planRows.some((row) => /filesort/i.test(String(row.Extra ?? ""))),
  };
  const tableRows = await db.rowCount();
  if (options.statementLog !== undefined) await db.generalLog(options.statementLog);
  const countersBefore = await db.statementCounters();
  const samplers = cluster.workers.map((worker) => new RssSampler(worker.pid));
  const cpu = new CpuMeter({
    workers: cluster.workers.map((worker) => worker.pid),
    master: cluster.master?.pid,
    database: options.databasePid,
  });
  const start = nowMs();
  let done = 0;
  try {
    await cluster.poke(options.targets);
    let lastProgress = start;
    let lastLog = start;
    let lastDone = 0;
    let lastCount = start;
    for (let finished = false; !finished;) {
      await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      await cluster.assertRunning();
      finished = !await db.anyUnfinished(range, options.targets);
      const now = nowMs();
      // Counting reads every row: only for the progress line and the stall check.
      if (!finished && now - lastCount < COUNT_INTERVAL_MS) continue;
      lastCount = now;
      done = finished ? jobs : (await db.countByStatus(range))["done"] ?? 0;
      if (done > lastDone) {
        lastDone = done;
        lastProgress = now;
      } else if (now - lastProgress > STALL_SECONDS * 1000) {
        throw new Error(
          `No job of ${label} finished for ${STALL_SECONDS} s (${done} of ${jobs} done); ` +
            `the worker's log ends with:\n${await cluster.workers[0].output(20)}`,
        );
      }
      if (now - lastLog >= 5000) {
        lastLog = now;
        log(
          `  ${label}: ${done}/${jobs} done, ${ratePerSecond(done, now - start).toFixed(0)} jobs/s`,
        );
      }
    }
  } finally {
    for (const sampler of samplers) sampler.stop();
  }
  const ms = nowMs() - start;
  const cpuShare = await cpu.finish();
  const countersAfter = await db.statementCounters();
  let statementKinds: StatementKinds | undefined;
  if (options.statementLog !== undefined) {
    await db.generalLog(undefined);
    statementKinds = classifyGeneralLog(await Deno.readTextFile(options.statementLog));
    await Deno.remove(options.statementLog).catch(() => {});
  }
  const statementsPerJob = Object.fromEntries(
    Object.entries(countersAfter).map((
      [name, value],
    ) => [name, Math.round(((value - (countersBefore[name] ?? 0)) / jobs) * 100) / 100]),
  );
  return {
    label,
    jobs,
    tableRows,
    ms,
    perSecond: ratePerSecond(jobs, ms),
    results: await db.countByResult(range),
    claimQuery,
    explain,
    statementsPerJob,
    statementKinds,
    cpu: cpuShare,
    cpuPerJobMs: cpuPerOperation(cpuShare, jobs),
    peakRss: samplers.map((sampler) => sampler.peak),
  };
}

/** Figures of sequential run-manual calls. */
export interface ManualResult {
  /** `master` or `worker`: who was asked. */
  via: string;
  calls: number;
  /** Round trip of each call, milliseconds. */
  roundTrip: Summary | undefined;
  ok: number;
  failed: number;
  /** The first error reported, if any. */
  firstError: string | undefined;
}

/** Who a run-manual call is sent to. */
export type ManualWay = "master" | "worker";

/**
 * Inserts `count` manual rows of `target` per way and runs them one call
 * after another, each call for one job, the ways taking turns (master,
 * worker, master, ...), so that each way meets the same moments of the
 * machine and the database (a server still flushing the pages of the
 * throughput run slows whichever way would come first). Times each round
 * trip; one result per way, in the order of `ways`.
 */
export async function measureRunManual(
  db: BenchDatabase,
  cluster: Cluster,
  options: { count: number; target: string; ways: readonly ManualWay[]; log: ProgressLog },
): Promise<ManualResult[]> {
  const { ways } = options;
  const range = await db.insertJobs([options.target], options.count * ways.length, {
    status: "manual",
  });
  const tallies = ways.map(() => ({
    times: [] as number[],
    ok: 0,
    firstError: undefined as string | undefined,
  }));
  for (let id = range.first; id <= range.last; id++) {
    const turn = (id - range.first) % ways.length;
    const tally = tallies[turn];
    const start = nowMs();
    const result = ways[turn] === "master"
      ? await cluster.runManual(id, options.target)
      : await cluster.runManualOnWorker(id);
    tally.times.push(nowMs() - start);
    const report = result.jobs?.[id];
    if (report?.result === "ok") tally.ok++;
    else {
      tally.firstError ??= result.errors?.[id] ??
        (report
          ? `job ${id} ended ${report.result}: ${report.stderr.trim()}`
          : `job ${id}: no report`);
    }
  }
  options.log(`  run-manual via ${ways.join(" and ")}, taking turns: ${options.count} calls each`);
  return ways.map((via, index) => ({
    via,
    calls: tallies[index].times.length,
    roundTrip: summarize(tallies[index].times),
    ok: tallies[index].ok,
    failed: tallies[index].times.length - tallies[index].ok,
    firstError: tallies[index].firstError,
  }));
}

/** Figures of the poke-to-start samples. */
export interface PokeToStartResult {
  /** `master` (poke) or `worker` (poll). */
  via: string;
  /** From just before the request was sent until the launcher began, milliseconds. */
  latency: Summary | undefined;
  /** From just before the request was sent until its response came back, milliseconds. */
  requestRoundTrip: Summary | undefined;
  /**
   * The floor: from spawning the recorder directly (no worker, no database)
   * until it recorded its start, milliseconds.
   */
  spawnToStart: Summary | undefined;
  /**
   * Samples whose job started before its poke was sent (left out of
   * `latency`): the worker claimed the row on its own. Expected 0.
   */
  startedBeforePoke: number;
}

/**
 * On an idle worker whose launcher is `bench/start_recorder.sh`: inserts one
 * waiting row, pokes its target and reads when the launcher started from
 * `startsPath`, `samples` times. Pokes are spaced beyond the master's throttle
 * interval, so none waits for it.
 */
export async function measurePokeToStart(
  db: BenchDatabase,
  cluster: Cluster,
  options: {
    samples: number;
    target: string;
    /** The recorder script (`bench/start_recorder.sh`): `RECORDER ID FILE` appends `ID START_NS`. */
    recorder: string;
    startsPath: string;
    pokeThrottle: number;
    log: ProgressLog;
  },
): Promise<PokeToStartResult> {
  await Deno.writeTextFile(options.startsPath, "");
  const starts = new Map<number, number>();
  let read = 0;
  const readStarts = async () => {
    const text = await Deno.readTextFile(options.startsPath);
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    for (const line of complete.slice(read).split("\n")) {
      const [id, ns] = line.split(" ");
      if (ns !== undefined) starts.set(Number(id), Number(ns) / 1e6);
    }
    read = complete.length;
  };
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  let startedBeforePoke = 0;
  const spacingMs = options.pokeThrottle * 1000 + 20;
  let lastPoke = -Infinity;
  const waitUntil = async (what: string, check: () => Promise<boolean>) => {
    const deadline = nowMs() + 10_000;
    while (!await check()) {
      if (nowMs() > deadline) {
        await cluster.assertRunning();
        throw new Error(
          `Timed out after 10 s waiting for ${what}; the worker's log ends with:\n` +
            await cluster.workers[0].output(20),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  for (let sample = 0; sample < options.samples; sample++) {
    const wait = Math.max(lastPoke + spacingMs - nowMs(), SETTLE_MS);
    await new Promise((resolve) => setTimeout(resolve, wait));
    // Inserted just before the poke: an idle worker has no reason to claim it earlier.
    const { first: id } = await db.insertJobs([options.target], 1);
    lastPoke = nowMs();
    const sentAt = wallClockMs();
    await cluster.poke([options.target]);
    roundTrips.push(wallClockMs() - sentAt);
    await waitUntil(`job ${id} to start`, async () => {
      await readStarts();
      return starts.has(id);
    });
    const latency = starts.get(id)! - sentAt;
    if (latency < 0) startedBeforePoke++;
    else latencies.push(latency);
    // The worker may look for more work once a job ends: let it, before the next row exists.
    await waitUntil(
      `job ${id} to be done`,
      async () => (await db.countByStatus({ first: id, last: id }))["done"] === 1,
    );
  }
  // The floor: the same recorder spawned here directly, timed the same way.
  const floor: number[] = [];
  for (let sample = 0; sample < Math.min(options.samples, 50); sample++) {
    const id = -1 - sample;
    const sentAt = wallClockMs();
    await new Deno.Command(options.recorder, {
      args: [String(id), options.startsPath],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    await readStarts();
    if (starts.has(id)) floor.push(starts.get(id)! - sentAt);
  }
  options.log(`  poke-to-start: ${options.samples} samples`);
  return {
    via: cluster.master ? "master" : "worker",
    latency: summarize(latencies),
    requestRoundTrip: summarize(roundTrips),
    spawnToStart: summarize(floor),
    startedBeforePoke,
  };
}
