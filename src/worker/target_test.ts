import assert from "node:assert/strict";
import { CLAIM_AHEAD_MS, Target } from "./target.ts";

/** A target of concurrency 2 that may claim up to 100 jobs ahead, with `queued` background jobs queued. */
function targetWith(queued = 0): Target {
  const target = new Target("t1", 2, 100);
  for (let id = 1; id <= queued; id++) target.enqueue({ id, target: "t1", origin: "waiting" });
  return target;
}

Deno.test("before any job has ended, a target claims only for its free slots", () => {
  const target = targetWith(1);
  assert.equal(target.ahead, 0);
  assert.equal(target.room, 1);
  target.takeStartable();
  assert.equal(target.room, 1);
});

Deno.test("a target claims ahead as many jobs as its slots are expected to start within the horizon", () => {
  const target = targetWith();
  target.recordRunTime(10);
  // Two slots, each starting a job every 10 ms.
  assert.equal(target.ahead, 2 * CLAIM_AHEAD_MS / 10);
  assert.equal(target.room, 2 + target.ahead);
});

Deno.test("a target whose jobs run longer than the horizon claims nothing ahead", () => {
  const target = targetWith();
  target.recordRunTime(CLAIM_AHEAD_MS * 3);
  assert.equal(target.ahead, 0);
  assert.equal(target.room, 2);
});

Deno.test("jobs claimed ahead are bounded by the fetch limit, and by nothing while paused", () => {
  const target = targetWith();
  target.recordRunTime(0.01);
  assert.equal(target.ahead, 100);
  target.maxAhead = 7;
  assert.equal(target.ahead, 7);
  target.paused = true;
  assert.equal(target.ahead, 0);
  assert.equal(target.room, 2);
});

Deno.test("a target claims again only once half of what it claimed ahead has started", () => {
  const target = targetWith(11);
  target.recordRunTime(10); // 20 ahead
  assert.equal(target.room, 0);
  target.takeStartable(); // 10 queued, 1 running
  assert.equal(target.room, 2 + 20 - 11);
});

Deno.test("the run time is a running average: one slow job does not stop claiming ahead", () => {
  const target = targetWith();
  target.recordRunTime(10);
  target.recordRunTime(1000);
  assert.ok(target.ahead > 0, `ahead ${target.ahead}`);
  for (let i = 0; i < 40; i++) target.recordRunTime(1000);
  assert.equal(target.ahead, 0);
});
