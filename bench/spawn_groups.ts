/**
 * How much a job's process group costs at spawn time (bench/README.md,
 * "Process groups"): the worker's own `launchJob` starting `/bin/true` with
 * each way of giving the job a group of its own — through `setsid` (Deno's
 * posix_spawn path, one more `exec`) and with `detached: true` (a `fork`,
 * whose cost grows with the spawning process's memory) — beside a plain
 * spawn with no group (the worker before process groups), at several sizes
 * of the spawning process.
 *
 * ```sh
 * deno run -A bench/spawn_groups.ts                  # 3000 launches per mode, 0 and 1024 MiB more
 * deno run -A bench/spawn_groups.ts --count 5000 --concurrency 8 --memory 0,1024
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LauncherSettings, launchJob } from "../src/worker/launcher.ts";
import { findGroupStart } from "../src/worker/process_group.ts";
import { CpuMeter, cpuPerOperation } from "./cpu.ts";
import { readRss } from "./memory.ts";
import { nowMs, ratePerSecond } from "./stats.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "8" },
    memory: { type: "string", default: "0,1024" },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const memorySteps = values.memory.split(",").map(Number);

const found = findGroupStart();
if (found === null) throw new Error("No setsid on the PATH: nothing to compare");
const setsid: string = found;

/**
 * `plain`: no group (the worker before process groups); `setsid` and
 * `detached`: the two ways to a group, spawned the same way; `launchJob`: the
 * worker's own launcher (through setsid), with its group handling and pipe
 * capture.
 */
type Mode = "plain" | "setsid" | "detached" | "launchJob";
const MODES: Mode[] = ["plain", "setsid", "detached", "launchJob"];

/** One launch of `/bin/true` in `mode`, its output read to the end. */
async function launch(mode: Mode): Promise<void> {
  if (mode === "launchJob") {
    const settings: LauncherSettings = {
      argv: ["/bin/true", "{id}"],
      env: {},
      maxOutputBytes: 1024,
      groupStart: setsid,
    };
    const outcome = await launchJob(1, settings).done;
    if (outcome.result !== "ok") throw new Error(`/bin/true failed: ${outcome.stderr}`);
    return;
  }
  // spawn(), not output(): output() leaves `detached` out (Deno 2.9).
  const child = new Deno.Command(mode === "setsid" ? setsid : "/bin/true", {
    args: mode === "setsid" ? ["--", "/bin/true"] : [],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: mode === "detached",
  }).spawn();
  const [status] = await Promise.all([
    child.status,
    new Response(child.stdout).arrayBuffer(),
    new Response(child.stderr).arrayBuffer(),
  ]);
  if (!status.success) throw new Error(`/bin/true failed (${mode})`);
}

/** Launches `count` times, `concurrency` at once: rate and CPU per launch. */
async function measure(mode: Mode): Promise<string> {
  await launch(mode); // warm up
  const meter = new CpuMeter({ workers: [Deno.pid] });
  let next = 0;
  const start = nowMs();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) await launch(mode);
  }));
  const ms = nowMs() - start;
  const cpu = await meter.finish();
  const perLaunch = cpuPerOperation(cpu, count);
  return `${String(Math.round(ratePerSecond(count, ms))).padStart(6)}/s   spawner ${
    perLaunch.workers.toFixed(2)
  } ms, launcher ${perLaunch.launchers.toFixed(2)} ms per launch`;
}

const ballast: Uint8Array[] = [];
console.log(`${count} launches of /bin/true per mode, ${concurrency} at once`);
for (const mib of memorySteps) {
  // Grow the process to about `mib` MiB of touched memory (fork copies its page tables).
  const have = ballast.reduce((sum, part) => sum + part.byteLength, 0) / 2 ** 20;
  for (let add = have; add < mib; add += 256) ballast.push(new Uint8Array(2 ** 28).fill(1));
  const rss = Math.round((await readRss(Deno.pid) ?? 0) / 2 ** 20);
  console.log(`\nspawning process RSS ${rss} MiB`);
  for (const mode of MODES) console.log(`  ${mode.padEnd(10)} ${await measure(mode)}`);
}
