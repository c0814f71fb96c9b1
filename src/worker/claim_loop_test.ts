import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { ClaimLoop, MAX_CLAIM_ROWS } from "./claim_loop.ts";
import { Releaser } from "./release.ts";
import { StorageRetry } from "./storage_retry.ts";
import { CLAIM_AHEAD_MS, START_RATE_WINDOW_MS, Target } from "./target.ts";

/**
 * A target of concurrency 1 on a frozen clock that started jobs at a rate
 * worth 40 claimed ahead, and now holds `queued` of them.
 */
function busyTarget(name: string, queued: number): Target {
  const target = new Target(name, 1, () => 0);
  let id = 0;
  for (let i = 0; i < 40 * START_RATE_WINDOW_MS / CLAIM_AHEAD_MS; i++) {
    target.enqueue({ id: --id, target: name, origin: "waiting" });
    target.takeStartable();
    target.finishOne();
  }
  for (let i = 0; i < queued; i++) target.enqueue({ id: --id, target: name, origin: "waiting" });
  return target;
}

/** One claim round over `targets`, all polled; the limits of each claim made. */
async function claimRound(targets: Target[]): Promise<[string, number][][]> {
  const store = new MemoryStore();
  for (const target of targets) store.insert(target.name, 100);
  const loop = new ClaimLoop({
    store,
    targets: new Map(targets.map((target) => [target.name, target])),
    releaser: new Releaser(store, new StorageRetry()),
    schedule: () => {},
    startMarked: () => {},
    fetchLimit: () => 100,
    running: () => 0,
    knownIds: () => new Set(),
  });
  loop.poll(targets.map((target) => target.name));
  // The in-memory store answers within microtasks: the round has ended after one timer turn.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await loop.stop();
  return store.claimWaitingCalls;
}

Deno.test("a target whose queue runs low joins the claim of a target that is due", async () => {
  // t1 holds 5 of its 40 (due: at most an eighth), t2 holds 15 (joins: at most a half).
  const calls = await claimRound([busyTarget("t1", 5), busyTarget("t2", 15)]);
  assert.deepEqual(calls[0], [["t1", 1 + 40 - 5], ["t2", 1 + 40 - 15]]);
});

Deno.test("a target with more than half its jobs ahead still queued does not join", async () => {
  const calls = await claimRound([busyTarget("t1", 5), busyTarget("t2", 25)]);
  assert.deepEqual(calls[0], [["t1", 1 + 40 - 5]]);
});

Deno.test("no claim is made for targets that would only join", async () => {
  assert.deepEqual(await claimRound([busyTarget("t1", 15), busyTarget("t2", 15)]), []);
});

Deno.test("rows the look before a round makes waiting are claimed by that round, though no poll is pending", async () => {
  // A poll's round may run before the look that promotes the poll's due rows (a second poll
  // arrived while the first round ran): that round found nothing and used the poll.
  const store = new MemoryStore();
  const target = new Target("t1", 2);
  let promoted: number[] = [];
  const loop = new ClaimLoop({
    store,
    targets: new Map([["t1", target]]),
    releaser: new Releaser(store, new StorageRetry()),
    schedule: () => {},
    startMarked: () => {},
    fetchLimit: () => 100,
    running: () => 0,
    knownIds: () => new Set(),
    beforeRound: () => {
      if (store.claimWaitingCalls.length !== 1) return Promise.resolve([]);
      // The second look finds two rows due and sets them waiting.
      promoted = store.insert("t1", 2);
      return Promise.resolve(["t1"]);
    },
  });
  loop.poll(["t1"]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(target.pollPending, false, "the first round found nothing and used the poll");
  loop.claim();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const statuses = promoted.map((id) => store.status(id));
  await loop.stop();
  // Marked `running` by the claim, as jobs that start at once in its free slots.
  assert.deepEqual(statuses, ["running", "running"]);
});

Deno.test("a claim takes at most MAX_CLAIM_ROWS rows; the next begins with the targets it left out", async () => {
  // 100 targets with room for 1,000 jobs each, 200 rows waiting each: 100 rows per target
  // (the fetch limit) would make one claim of 10,000 rows.
  const store = new MemoryStore();
  const targets = Array.from({ length: 100 }, (_, i) => new Target(`t${i}`, 1000));
  for (const target of targets) store.insert(target.name, 200);
  const loop = new ClaimLoop({
    store,
    targets: new Map(targets.map((target) => [target.name, target])),
    releaser: new Releaser(store, new StorageRetry()),
    schedule: () => {},
    startMarked: () => {},
    fetchLimit: () => 100,
    running: () => 0,
    knownIds: () => new Set(),
  });
  loop.poll(targets.map((target) => target.name));
  while (store.claimWaitingCalls.length < 4) await new Promise((resolve) => setTimeout(resolve, 0));
  await loop.stop();
  const [first, second, third] = store.claimWaitingCalls;
  for (const call of [first, second, third]) {
    assert.equal(call.reduce((sum, [, limit]) => sum + limit, 0), MAX_CLAIM_ROWS);
  }
  const half = MAX_CLAIM_ROWS / 100;
  assert.deepEqual(first.map(([name]) => name), targets.slice(0, half).map((t) => t.name));
  // The targets after the cap come next, before the first ones claim again.
  assert.deepEqual(second.map(([name]) => name), targets.slice(half, 2 * half).map((t) => t.name));
  assert.deepEqual(third.map(([name]) => name), targets.slice(0, half).map((t) => t.name));
});
