import assert from "node:assert/strict";
import { connectionLost, MemoryStore } from "../../tests/helpers/memory_store.ts";
import {
  refused,
  runManualQueued,
  slotsHeldWithJobsClaimedAhead,
  until,
  within,
  workerOn,
} from "../../tests/helpers/worker_in_process.ts";
Deno.test("a run-manual whose claim is in flight at shutdown is answered and its job released", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  const letClaimGo = store.hold("claimManual");
  const claiming = store.reached("claimManual");
  const run = setup.worker.runManual([id]);
  await claiming;
  const stopping = setup.worker.shutdown(5);
  letClaimGo();
  assert.deepEqual(await run, { errors: { [id]: "the worker is shutting down" } });
  await stopping;
  assert.equal(store.status(id), "manual");
  assert.ok(!store.calls.includes("markRunning"), "the job must not start during shutdown");
});

Deno.test("a target removed during a run-manual claim answers for its job; a refused release is survived", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  const letClaimGo = store.hold("claimManual");
  const claiming = store.reached("claimManual");
  const run = setup.worker.runManual([id]);
  await claiming;
  setup.worker.removeTarget("t1");
  store.fail("release", refused());
  letClaimGo();
  assert.deepEqual(await run, { errors: { [id]: `target 't1' not found (job id=${id})` } });
  // The claim marked it running (its slot was free); the refused release
  // leaves the row to an operator or start-up recovery; the worker goes on.
  assert.equal(store.status(id), "running");
  assert.equal(store.rows.get(id)?.stdout, null, "it never ran");
  setup.worker.addTarget("t1", 1);
  const [next] = store.insert("t1", 1, "manual");
  assert.equal((await setup.worker.runManual([next])).jobs?.[next].stdout, `ran ${next}\n`);
});

Deno.test("a run-manual claim that committed but lost its reply releases its rows to manual", async () => {
  const store = new MemoryStore();
  const [marked, queued] = store.insert("t1", 2, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  store.fail("claimManual", connectionLost(), "after");
  await assert.rejects(setup.worker.runManual([marked, queued]), /connection lost/);
  // The claim marked the first running (a free slot) and accepted the second: neither started.
  await until(
    "both jobs back to 'manual'",
    () => store.status(marked) === "manual" && store.status(queued) === "manual",
  );
  assert.deepEqual([marked, queued].map((id) => store.rows.get(id)?.worker), [null, null]);
  // The client's retry runs them, each once.
  const result = await setup.worker.runManual([marked, queued]);
  assert.deepEqual(Object.keys(result.jobs ?? {}).map(Number), [marked, queued]);
  assert.deepEqual(store.markDoneCalls.flat().sort((a, b) => a - b), [marked, queued]);
});

Deno.test("rows claimed for a target removed meanwhile go back to waiting, even after a failed release", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1);
  await using setup = await workerOn(store, { t1: 1, t2: 1 });
  const letClaimGo = store.hold("claimWaiting");
  const claiming = store.reached("claimWaiting");
  setup.worker.poll(["t1"]);
  await claiming;
  setup.worker.removeTarget("t1");
  store.fail("release", refused());
  letClaimGo();
  await until("the refused release", () => store.calls.includes("release"));
  // The claim marked it running (its slot was free): it never started.
  assert.equal(store.status(id), "running");
  await until(`job ${id} back to 'waiting'`, () => store.status(id) === "waiting");
  assert.ok(!store.calls.includes("markRunning"));
  assert.equal(store.rows.get(id)?.stdout, null);
});

Deno.test({
  name: "a claim that fails during shutdown schedules no retry",
  // Fails the test when a retry timer is left behind.
  sanitizeOps: true,
}, async () => {
  const store = new MemoryStore();
  store.insert("t1", 1);
  await using setup = await workerOn(store);
  const gate = Promise.withResolvers<void>();
  store.hook("claimWaiting", async (phase) => {
    if (phase === "before") {
      await gate.promise;
      throw connectionLost();
    }
  });
  const claiming = store.reached("claimWaiting");
  setup.worker.poll();
  await claiming;
  const stopping = setup.worker.shutdown(5);
  gate.resolve();
  await stopping;
  // The failed claim may have marked its job running: one look for it before
  // stopping, and no claim again.
  assert.deepEqual(store.calls, ["claimWaiting", "findLeftBehind"]);
});

Deno.test("a release refused at shutdown still lets running jobs finish and stores their results", async () => {
  const store = new MemoryStore();
  const [first] = store.insert("t1", 1);
  const [second] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  await setup.holdJob(first);
  setup.worker.poll();
  await until(`job ${first} running`, () => store.status(first) === "running");
  const run = setup.worker.runManual([second]);
  await until(`job ${second} queued`, () => store.status(second) === "accepted");
  store.fail("release", refused());
  const stopping = setup.worker.shutdown(30);
  assert.deepEqual(await run, { errors: { [second]: "the worker is shutting down" } });
  await setup.letGo(first);
  await stopping;
  assert.equal(store.status(first), "done");
  // Left for start-up recovery.
  assert.equal(store.status(second), "accepted");
});

Deno.test("a job whose start failed on a database error is released when shutdown begins", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  store.fail("markRunning", connectionLost());
  const failing = store.reached("markRunning");
  const { run } = await runManualQueued(setup, store, [id]);
  await failing;
  await setup.worker.shutdown(30);
  assert.deepEqual(await run, { errors: { [id]: "the worker is shutting down" } });
  assert.equal(store.status(id), "manual");
  assert.equal(store.calls.filter((call) => call === "markRunning").length, 1);
});

Deno.test("hurry() stops waiting for a database that is away", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  await setup.holdJob(id);
  const run = setup.worker.runManual([id]);
  await until(`job ${id} running`, () => store.status(id) === "running");
  store.down = true;
  const stopping = setup.worker.shutdown(30);
  await setup.letGo(id);
  await until("a result write", () => store.calls.includes("markDone"));
  setup.worker.hurry();
  await within(stopping, "the shutdown to end");
  assert.deepEqual(await run, {
    errors: { [id]: `job ${id} ended (ok) but its result could not be stored` },
  });
  // Left for start-up recovery.
  assert.equal(store.status(id), "running");
});

Deno.test("hurry() goes straight to the kill phase", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1);
  await using setup = await workerOn(store);
  await setup.holdJob(id);
  await setup.trapTerm(id);
  setup.worker.poll();
  await until(`job ${id} running`, () => store.status(id) === "running");
  const stopping = setup.worker.shutdown(3600);
  setup.worker.hurry();
  // SIGTERM is ignored: SIGKILL follows after the grace period, not after an hour.
  await within(stopping, "the shutdown to end");
  assert.equal(store.status(id), "done");
  assert.equal(store.rows.get(id)?.stdout, "");
});

Deno.test("a second shutdown is the same shutdown: running jobs still finish", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1);
  await using setup = await workerOn(store);
  await setup.holdJob(id);
  setup.worker.poll();
  await until(`job ${id} running`, () => store.status(id) === "running");
  const first = setup.worker.shutdown(3600);
  const second = setup.worker.shutdown(0);
  await setup.letGo(id);
  await within(Promise.all([first, second]), "both calls to end");
  assert.equal(store.status(id), "done");
  assert.equal(store.rows.get(id)?.stdout, `ran ${id}\n`, "the job must end by itself");
});

Deno.test("jobs waiting behind a start that the database holds up are released at shutdown", async () => {
  const store = new MemoryStore();
  const [first] = store.insert("t1", 1, "manual");
  const [second] = store.insert("t2", 1, "manual");
  await using setup = await workerOn(store, { t1: 1, t2: 1 });
  store.fail("markRunning", connectionLost());
  const failing = store.reached("markRunning");
  const runs = [(await runManualQueued(setup, store, [first])).run];
  await failing;
  // The first start now waits out a backoff; the second queues behind it.
  runs.push((await runManualQueued(setup, store, [second])).run);
  await setup.worker.shutdown(30);
  await Promise.all(runs);
  assert.deepEqual([store.status(first), store.status(second)], ["manual", "manual"]);
  assert.equal(store.calls.filter((call) => call === "markRunning").length, 1);
});

Deno.test("a start whose reply was lost runs its job once", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  store.fail("markRunning", connectionLost(), "after");
  const { run } = await runManualQueued(setup, store, [id]);
  const result = await run;
  assert.equal(result.jobs?.[id].stdout, `ran ${id}\n`);
  assert.equal(store.status(id), "done");
  assert.equal(store.calls.filter((call) => call === "markRunning").length, 2);
});

Deno.test("a final write whose reply was lost is reported stored", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  store.fail("markDone", connectionLost(), "after");
  const result = await setup.worker.runManual([id]);
  assert.deepEqual(result.errors, undefined);
  assert.equal(result.jobs?.[id].result, "ok");
  assert.equal(store.calls.filter((call) => call === "markDone").length, 2);
});

Deno.test("a slot that frees while another job runs is claimed for the next waiting job", async () => {
  const store = new MemoryStore();
  const [first, second, third] = store.insert("t1", 3);
  await using setup = await workerOn(store, { t1: 2 });
  await setup.holdJob(second);
  setup.worker.poll();
  await until(`job ${first} done`, () => store.status(first) === "done");
  // The second job still runs; the slot the first one left goes to the third.
  await until(`job ${third} done`, () => store.status(third) === "done");
  assert.equal(store.status(second), "running");
  await setup.letGo(second);
  await until(`job ${second} done`, () => store.status(second) === "done");
});

Deno.test("a target that starts jobs quickly claims jobs ahead of its free slots", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 60);
  await using setup = await workerOn(store, { t1: 4 });
  setup.worker.poll();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
  const limits = store.claimWaitingCalls.map((call) => call[0][1]);
  // Nothing has started yet at the first claim: it takes what the slots can run.
  assert.equal(limits[0], 4);
  assert.ok(limits.some((limit) => limit > 4), `claims asked for ${limits.join(", ")}`);
});

Deno.test("a target that starts fewer jobs than one per claim-ahead horizon claims only for free slots", async () => {
  const store = new MemoryStore();
  const [first, second, third] = store.insert("t1", 3);
  await using setup = await workerOn(store, { t1: 1 });
  await setup.holdJob(first);
  await setup.holdJob(second);
  setup.worker.poll();
  await until(`job ${first} running`, () => store.status(first) === "running");
  await setup.letGo(first);
  await until(`job ${second} running`, () => store.status(second) === "running");
  // The slot went to the second job; the third was not claimed ahead of it.
  assert.equal(store.status(third), "waiting");
  await setup.letGo(second);
  await until(`job ${third} done`, () => store.status(third) === "done");
  const limits = store.claimWaitingCalls.map((call) => call[0][1]);
  assert.ok(limits.every((limit) => limit === 1), `claims asked for ${limits.join(", ")}`);
});

Deno.test("jobs claimed ahead go back to waiting while every slot runs a long job, and run after it", async () => {
  await using setup = await slotsHeldWithJobsClaimedAhead();
  const { store, ids, long } = setup;
  await until("the jobs claimed ahead released", () => setup.acceptedIds().length === 0);
  assert.ok(long.every((id) => store.status(id) === "running"));
  await setup.letGoLong();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
});

Deno.test("without the worker column a target claims only for its free slots, however quickly its jobs end", async () => {
  const store = new MemoryStore({ tracksOwner: false });
  const ids = store.insert("t1", 20);
  await using setup = await workerOn(store, { t1: 4 });
  setup.worker.poll();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
  const limits = store.claimWaitingCalls.map((call) => call[0][1]);
  assert.ok(limits.every((limit) => limit <= 4), `claims asked for ${limits.join(", ")}`);
});

Deno.test("a paused target keeps claimed jobs for its free slots and releases those claimed ahead", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 300);
  const long = ids[149];
  await using setup = await workerOn(store, { t1: 2 });
  await setup.holdJob(long);
  setup.worker.poll();
  const accepted = () => ids.filter((id) => store.status(id) === "accepted").length;
  await until(
    `jobs claimed ahead while job ${long} runs`,
    () => store.status(long) === "running" && accepted() > 4,
  );
  setup.worker.pause();
  await setup.letGo(long);
  await until(`job ${long} done`, () => store.status(long) === "done");
  await until("only the free slots' jobs left accepted", () => accepted() <= 2);
  assert.equal(accepted(), 2);
  setup.worker.resume();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
});

Deno.test("removing a paused target that runs nothing gives the jobs it claimed back to waiting", async () => {
  const store = new MemoryStore();
  await using setup = await workerOn(store, { t1: 2, t2: 1 });
  setup.worker.pause(["t1"]);
  const ids = store.insert("t1", 3);
  setup.worker.poll(["t1"]);
  const accepted = () => ids.filter((id) => store.status(id) === "accepted");
  await until("the free slots' jobs claimed", () => accepted().length === 2);
  setup.worker.removeTarget("t1");
  assert.deepEqual(setup.worker.targetNames, ["t2"]);
  await until("every row of t1 waiting", () => ids.every((id) => store.status(id) === "waiting"));
  assert.ok(!store.calls.includes("markRunning"));
});

Deno.test("jobs released while the worker looks for claims in doubt are not taken back in", async () => {
  await using setup = await slotsHeldWithJobsClaimedAhead();
  const { store, ids } = setup;
  const [manual] = store.insert("t1", 1, "manual");
  // A failed run-manual claim makes the worker look for rows it owns but does
  // not know of; its look sees the rows claimed ahead, which are released before it ends.
  const lookDone = Promise.withResolvers<void>();
  store.hook("findLeftBehind", (phase) => phase === "after" ? lookDone.promise : undefined);
  store.fail("claimManual", connectionLost());
  await assert.rejects(setup.worker.runManual([manual]));
  await until("the jobs claimed ahead released", () => setup.acceptedIds().length === 0);
  lookDone.resolve();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(setup.worker.status().targets["t1"].length, 2, "only the two long jobs are known");
  await setup.letGoLong();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
});

Deno.test("jobs whose release the database refuses stay queued and run when a slot frees", async () => {
  await using setup = await slotsHeldWithJobsClaimedAhead();
  const { store, ids } = setup;
  store.fail("release", refused());
  await store.reached("release");
  await setup.letGoLong();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
});

Deno.test("a shutdown waits for jobs being released, and leaves no row accepted", async () => {
  await using setup = await slotsHeldWithJobsClaimedAhead();
  const { store, long } = setup;
  const releasing = store.reached("release");
  const letRelease = store.hold("release");
  await releasing;
  let stopped = false;
  const stopping = setup.worker.shutdown(30).then(() => stopped = true);
  await setup.letGoLong();
  await until("the long jobs done", () => long.every((id) => store.status(id) === "done"));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(stopped, false, "shutdown finished while jobs were being released");
  letRelease();
  await within(stopping, "shutdown");
  assert.deepEqual(setup.acceptedIds(), []);
});

/**
 * A worker (t1 of concurrency 1) whose background job `first` ends while the
 * run-manual job `second` waits for its slot: the slot's result is pending
 * when `second` is marked running. Resolves once both are done.
 */
async function manualStartAfterBackground(store: MemoryStore) {
  const [first] = store.insert("t1", 1);
  const [second] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  await setup.holdJob(first);
  setup.worker.poll();
  await until(`job ${first} running`, () => store.status(first) === "running");
  const run = setup.worker.runManual([second]);
  await until(`job ${second} claimed`, () => store.status(second) === "accepted");
  await setup.letGo(first);
  assert.equal((await run).jobs?.[second].stdout, `ran ${second}\n`);
  await until(`job ${first} done`, () => store.status(first) === "done");
  return { first, second };
}

Deno.test("a slot's result is stored with the running mark of the job that takes the slot", async () => {
  const store = new MemoryStore();
  const { first, second } = await manualStartAfterBackground(store);
  assert.deepEqual(store.markRunningAndDoneCalls, [{ starting: [second], done: [first] }]);
  assert.deepEqual(store.markDoneCalls, [[second]], "the last result goes alone");
  assert.equal(store.rows.get(first)?.stdout, `ran ${first}\n`);
});

Deno.test("a joined mark and result whose reply was lost go again each alone, each once", async () => {
  const store = new MemoryStore();
  store.fail("markRunningAndDone", connectionLost(), "after");
  const { first, second } = await manualStartAfterBackground(store);
  assert.equal(store.markRunningAndDoneCalls.length, 1);
  // The start is the same mark again (its `time_started` recognised); the
  // first result the same write again.
  assert.deepEqual(store.markRunningCalls, [[second]]);
  assert.ok(store.markDoneCalls.some((ids) => ids.includes(first)));
  assert.equal(store.rows.get(second)?.stdout, `ran ${second}\n`);
  assert.equal(store.rows.get(first)?.stdout, `ran ${first}\n`);
});
