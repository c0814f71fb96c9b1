import assert from "node:assert/strict";
import { ourCpuPerJobMs, ratiosAgainst, spawnBaseline } from "./baseline.ts";
import type { SpawnRate } from "./limits.ts";

/** The figures of a raw spawn that the baseline reads. */
function spawn(perSecond: number, spawner: number, launcher: number): SpawnRate {
  return { perSecond, cpuPerLaunchMs: { spawner, launcher } } as SpawnRate;
}

Deno.test("a baseline is the mean of the raw spawn before and after the run", () => {
  assert.deepEqual(spawnBaseline(spawn(1200, 0.3, 0.7), spawn(800, 0.5, 0.9)), {
    perSecond: 1000,
    spawnerMs: 0.4,
    launcherMs: 0.8,
  });
});

Deno.test("our job's CPU is every party's but the benchmark's", () => {
  const ms = ourCpuPerJobMs({
    workers: 0.5,
    launchers: 1.5,
    master: 0.02,
    database: 0.25,
    bench: 0.07,
  });
  assert.ok(Math.abs(ms - 2.27) < 1e-9, String(ms));
});

Deno.test("the same run reads better against the launch in a process group than the plain one", () => {
  // A job: worker 0.5 + launchers 1.5 + database 0.25 ms; 600 jobs/s.
  const ourMs = 2.25;
  const plain = ratiosAgainst(600, ourMs, { perSecond: 1000, spawnerMs: 0.35, launcherMs: 0.75 });
  const inGroup = ratiosAgainst(600, ourMs, { perSecond: 750, spawnerMs: 0.35, launcherMs: 1.45 });
  assert.ok(Math.abs(plain.rate - 0.6) < 1e-9);
  assert.ok(Math.abs(plain.cpu - 1.1 / 2.25) < 1e-9);
  assert.ok(Math.abs(inGroup.rate - 0.8) < 1e-9);
  assert.ok(Math.abs(inGroup.cpu - 1.8 / 2.25) < 1e-9);
});
