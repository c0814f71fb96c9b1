import assert from "node:assert/strict";
import type { ClaimedJob } from "../job.ts";
import {
  CLAIM_AHEAD_MS,
  MIN_STARTS_TO_CLAIM_AHEAD,
  STALE_QUEUE_MS,
  START_RATE_WINDOW_MS,
  Target,
} from "./target.ts";

/** A target of concurrency 2 on a clock the test moves by hand. */
function targetOnClock() {
  const clock = { now: 0 };
  const target = new Target("t1", 2, () => clock.now);
  let nextId = 1;
  const enqueue = (count: number, origin: ClaimedJob["origin"] = "waiting") => {
    for (let i = 0; i < count; i++) target.enqueue({ id: nextId++, target: "t1", origin });
  };
  /** Starts `count` background jobs, each ending at once, `gapMs` apart. */
  const runJobs = (count: number, gapMs: number) => {
    for (let i = 0; i < count; i++) {
      enqueue(1);
      assert.ok(target.takeStartable());
      target.finishOne();
      clock.now += gapMs;
    }
  };
  return { clock, target, enqueue, runJobs };
}

Deno.test("before any job has started, a target claims only for its free slots", () => {
  const { target, enqueue } = targetOnClock();
  assert.equal(target.ahead(100), 0);
  assert.equal(target.room(100), 2);
  enqueue(1);
  assert.equal(target.room(100), 1);
});

Deno.test("a target claims ahead as many jobs as it started per claim-ahead horizon lately", () => {
  const { target, runJobs } = targetOnClock();
  runJobs(40, START_RATE_WINDOW_MS / 100);
  assert.equal(target.ahead(100), 40 * CLAIM_AHEAD_MS / START_RATE_WINDOW_MS);
  assert.equal(target.room(100), 2 + target.ahead(100));
});

Deno.test("starts older than the rate window no longer count", () => {
  const { clock, target, runJobs } = targetOnClock();
  runJobs(50, 1);
  assert.ok(target.ahead(100) > 0);
  clock.now += START_RATE_WINDOW_MS;
  assert.equal(target.ahead(100), 0);
});

Deno.test("a target that starts fewer jobs than one per horizon claims nothing ahead", () => {
  const { target, runJobs } = targetOnClock();
  runJobs(START_RATE_WINDOW_MS / CLAIM_AHEAD_MS - 1, 10);
  assert.equal(target.ahead(100), 0);
  assert.equal(target.room(100), 2);
});

Deno.test("a target that started fewer than four jobs in the last second claims nothing ahead", () => {
  const { target, runJobs } = targetOnClock();
  runJobs(MIN_STARTS_TO_CLAIM_AHEAD - 1, 10);
  assert.equal(target.ahead(100), 0);
  runJobs(1, 10);
  assert.equal(
    target.ahead(100),
    Math.floor(MIN_STARTS_TO_CLAIM_AHEAD * CLAIM_AHEAD_MS / START_RATE_WINDOW_MS),
  );
});

Deno.test("jobs claimed ahead are bounded by the given most, and none are claimed ahead while paused", () => {
  const { target, runJobs } = targetOnClock();
  runJobs(500, 1);
  assert.equal(target.ahead(1000), 500 * CLAIM_AHEAD_MS / START_RATE_WINDOW_MS);
  assert.equal(target.ahead(100), 100);
  assert.equal(target.ahead(7), 7);
  assert.equal(target.ahead(0), 0);
  target.paused = true;
  assert.equal(target.ahead(100), 0);
  assert.equal(target.room(100), 2);
});

Deno.test("a target claims again only once seven eighths of what it claims ahead have started", () => {
  const { target, enqueue, runJobs } = targetOnClock();
  runJobs(80 * START_RATE_WINDOW_MS / CLAIM_AHEAD_MS, 1); // 80 ahead
  assert.equal(target.ahead(100), 80);
  enqueue(11);
  assert.equal(target.room(100), 0);
  target.takeStartable(); // 10 queued, 1 running
  assert.equal(target.room(100), 2 + 80 - 11);
});

Deno.test("a target joins a claim made for another once half of what it claims ahead have started", () => {
  const { target, enqueue, runJobs } = targetOnClock();
  runJobs(80 * START_RATE_WINDOW_MS / CLAIM_AHEAD_MS, 1); // 80 ahead
  enqueue(41);
  assert.equal(target.room(100, true), 0);
  target.takeStartable(); // 40 queued, 1 running
  assert.equal(target.room(100), 0, "not due for a claim of its own");
  assert.equal(target.room(100, true), 2 + 80 - 41);
});

Deno.test("background jobs beyond the free slots are taken back once none has started for a while", () => {
  const { clock, target, enqueue, runJobs } = targetOnClock();
  runJobs(1, 0);
  enqueue(5);
  target.takeStartable(); // job 2 runs: one slot free, five queued
  assert.equal(target.surplus, 3);
  clock.now += STALE_QUEUE_MS - 1;
  assert.deepEqual(target.takeStale(), []);
  clock.now += 1;
  // The jobs claimed last go; the next ones in line stay for the free slot.
  assert.deepEqual(target.takeStale().map((job) => job.id), [4, 5, 6]);
  assert.equal(target.queued, 1);
  assert.equal(target.surplus, 0);
});

Deno.test("queued run-manual jobs take free slots first and are never taken back", () => {
  const { clock, target, enqueue } = targetOnClock();
  enqueue(2, "manual");
  enqueue(2);
  assert.equal(target.surplus, 2);
  clock.now += STALE_QUEUE_MS;
  assert.deepEqual(target.takeStale().map((job) => job.origin), ["waiting", "waiting"]);
  assert.equal(target.queued, 2);
});

Deno.test("slots reserved for a claim's marked jobs are taken by no queued job and no other claim", () => {
  const { target, enqueue } = targetOnClock();
  assert.equal(target.free, 2);
  target.reserve(2);
  assert.equal(target.free, 0);
  assert.equal(target.room(0), 0);
  // A run-manual job queued during the claim waits for a slot.
  enqueue(1, "manual");
  assert.equal(target.takeStartable(), undefined);
  // The claim found one row: it starts in its slot, the other slot is given back.
  target.startReserved({ id: 100, target: "t1", origin: "waiting" });
  target.unreserve(1);
  assert.equal(target.running, 1);
  assert.equal(target.takeStartable()?.origin, "manual");
  assert.equal(target.running, 2);
  assert.equal(target.free, 0);
});

Deno.test("a paused target has no free slot for jobs to start at once", () => {
  const { target } = targetOnClock();
  target.paused = true;
  assert.equal(target.free, 0);
  assert.equal(target.room(0), 2);
});
