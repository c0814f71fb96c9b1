import assert from "node:assert/strict";
import {
  boundStatsTargets,
  MAX_STATS_NAME_BYTES,
  MAX_STATS_TARGETS,
  type TargetStats,
} from "./control_requests.ts";

function stats(waiting: number, doneToday = 0): TargetStats {
  return {
    waiting,
    delayed: 0,
    manual: 0,
    accepted: 0,
    running: 0,
    lastHour: { ok: 0, fail: 0 },
    lastDay: { ok: doneToday, fail: 0 },
    timedOut: { lastHour: 0, lastDay: 0 },
    retrying: null,
    oldestWaitingAge: null,
  };
}

Deno.test("stats lists every target while they are few", () => {
  const targets = { a: stats(0, 1), b: stats(2) };
  assert.deepEqual(boundStatsTargets(targets), { targets });
});

Deno.test("stats past 10,000 targets keeps the busiest, in their order, and counts the others", () => {
  const targets: Record<string, TargetStats> = {};
  for (let i = 0; i < 20_000; i++) targets[`t${i}`] = stats(0, i % 2);
  targets.waits = stats(5);
  const bounded = boundStatsTargets(targets);
  const names = Object.keys(bounded.targets);
  assert.equal(MAX_STATS_TARGETS, 10_000);
  assert.equal(names.length, 10_000);
  assert.equal(bounded.omittedTargets, 10_001);
  assert.equal(names.at(-1), "waits", "the target with unfinished rows first of all");
  assert.deepEqual(names.slice(0, 3), ["t1", "t3", "t5"], "then those done today, in order");
});

Deno.test("stats of long target names stops within its byte budget", () => {
  const targets: Record<string, TargetStats> = {};
  for (let i = 0; i < 3000; i++) targets[`${i}`.padStart(1000, "x")] = stats(1);
  const bounded = boundStatsTargets(targets);
  const kept = Math.floor(MAX_STATS_NAME_BYTES / (3 * 1002));
  assert.equal(Object.keys(bounded.targets).length, kept);
  assert.equal(bounded.omittedTargets, 3000 - kept);
});
