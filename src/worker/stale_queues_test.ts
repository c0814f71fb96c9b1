import assert from "node:assert/strict";
import type { ClaimedJob } from "../job.ts";
import { StaleQueues } from "./stale_queues.ts";
import { STALE_QUEUE_MS, Target } from "./target.ts";

/**
 * Target t1 of concurrency 1, nothing running, with background jobs 1..`queued`
 * queued long enough ago to be stale: all but the first are surplus.
 */
function staleTarget(queued: number): Target {
  const clock = { now: 0 };
  const target = new Target("t1", 1, () => clock.now);
  for (let id = 1; id <= queued; id++) target.enqueue({ id, target: "t1", origin: "waiting" });
  clock.now = STALE_QUEUE_MS;
  return target;
}

Deno.test("the surplus of a stale queue is released while the job its free slot takes stays", async () => {
  const target = staleTarget(3);
  const released = Promise.withResolvers<{ jobs: ClaimedJob[]; known: number[] }>();
  const queues: StaleQueues = new StaleQueues({
    targets: new Map([["t1", target]]),
    release: (jobs) => {
      released.resolve({ jobs, known: [...queues.releasing] });
      return Promise.resolve();
    },
    schedule: () => {},
    lookForLeftBehind: () => {},
  });
  queues.watch();
  const { jobs, known } = await released.promise;
  assert.deepEqual(jobs.map((job) => job.id), [2, 3]);
  assert.deepEqual(known, [2, 3], "known as being released meanwhile");
  await queues.stop();
  assert.deepEqual(target.queuedIds(), [1]);
  assert.equal(target.pollPending, true, "the target claims again when it has room");
  assert.deepEqual([...queues.releasing], []);
});

Deno.test("jobs the database refuses to take back go back into the queue and are scheduled", async () => {
  const target = staleTarget(2);
  const called = Promise.withResolvers<string>();
  const queues = new StaleQueues({
    targets: new Map([["t1", target]]),
    release: () => Promise.reject(new Error("table is read only")),
    schedule: (which) => called.resolve(`schedule ${which.name}`),
    lookForLeftBehind: () => called.resolve("lookForLeftBehind"),
  });
  queues.watch();
  assert.equal(await called.promise, "schedule t1");
  await queues.stop();
  assert.deepEqual(target.queuedIds(), [1, 2]);
});

Deno.test("jobs of a target removed meanwhile that cannot be released are left to the look for rows left behind", async () => {
  const target = staleTarget(2);
  const targets = new Map([["t1", target]]);
  const called = Promise.withResolvers<string>();
  const queues = new StaleQueues({
    targets,
    release: () => {
      targets.delete("t1");
      return Promise.reject(new Error("table is read only"));
    },
    schedule: (which) => called.resolve(`schedule ${which.name}`),
    lookForLeftBehind: () => called.resolve("lookForLeftBehind"),
  });
  queues.watch();
  assert.equal(await called.promise, "lookForLeftBehind");
  await queues.stop();
  assert.deepEqual(target.queuedIds(), [1]);
});

Deno.test("a stopped watch releases nothing", async () => {
  const target = staleTarget(2);
  let released = false;
  const queues = new StaleQueues({
    targets: new Map([["t1", target]]),
    release: () => {
      released = true;
      return Promise.resolve();
    },
    schedule: () => {},
    lookForLeftBehind: () => {},
  });
  queues.watch();
  await queues.stop();
  queues.watch();
  await new Promise((resolve) => setTimeout(resolve, STALE_QUEUE_MS + 100));
  assert.equal(released, false);
  assert.deepEqual(target.queuedIds(), [1, 2]);
});
