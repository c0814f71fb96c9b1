import assert from "node:assert/strict";
import { connectionLost, MemoryStore } from "../../tests/helpers/memory_store.ts";
import type { LauncherSettings } from "./launcher.ts";
import { Worker } from "./worker.ts";

/** A driver error about the request itself: not worth a retry. */
function refused(): Error {
  return Object.assign(new Error("table is read only"), { code: "ER_OPEN_AS_READONLY" });
}

/**
 * A launcher that ends at once, unless `$DIR/hold-ID` exists: then it waits
 * until that file is gone. With `$DIR/trap-ID`, it ignores SIGTERM.
 */
function launcher(dir: string): LauncherSettings {
  return {
    argv: [
      "/bin/sh",
      "-c",
      'if [ -e "$0/trap-$1" ]; then trap "" TERM; fi; ' +
      'while [ -e "$0/hold-$1" ]; do sleep 0.02; done; echo "ran $1"',
      dir,
      "{id}",
    ],
    env: {},
    maxOutputBytes: 1024,
  };
}

/** A worker on `store` serving `targets`, with a job directory; shut down when the scope ends. */
async function workerOn(store: MemoryStore, targets: Record<string, number> = { t1: 2 }) {
  const dir = await Deno.makeTempDir({ prefix: "jobd_worker_test_" });
  const worker = new Worker({
    store,
    targets: new Map(Object.entries(targets)),
    fetchLimit: 100,
    launcher: launcher(dir),
    pollInterval: 0,
  });
  return {
    worker,
    /** Makes job `id` wait, when it starts, until `letGo(id)`. */
    holdJob: (id: number) => Deno.writeTextFile(`${dir}/hold-${id}`, ""),
    letGo: (id: number) => Deno.remove(`${dir}/hold-${id}`),
    /** Makes job `id` ignore SIGTERM. */
    trapTerm: (id: number) => Deno.writeTextFile(`${dir}/trap-${id}`, ""),
    async [Symbol.asyncDispose]() {
      worker.hurry();
      await worker.shutdown(0);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * A worker on 300 quick jobs of t1 (concurrency 2) whose 100th and 101st run
 * until `letGoLong()`: resolves once both run and jobs are claimed ahead of them.
 */
async function slotsHeldWithJobsClaimedAhead() {
  const store = new MemoryStore();
  const ids = store.insert("t1", 300);
  const long = [ids[99], ids[100]];
  const setup = await workerOn(store, { t1: 2 });
  const acceptedIds = () => ids.filter((id) => store.status(id) === "accepted");
  try {
    for (const id of long) await setup.holdJob(id);
    setup.worker.poll();
    await until(
      "jobs claimed ahead while both slots run long jobs",
      () => long.every((id) => store.status(id) === "running") && acceptedIds().length > 0,
    );
  } catch (error) {
    await setup[Symbol.asyncDispose]();
    throw error;
  }
  return Object.assign(setup, {
    store,
    ids,
    long,
    acceptedIds,
    letGoLong: async () => {
      for (const id of long) await setup.letGo(id);
    },
  });
}

/** Waits until `condition()` holds, checking every 10 ms; fails after 10 s with `what`. */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) assert.fail(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with `promise`'s value; fails after 30 s with `what` instead of hanging the test run. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting for ${what}`)), 30_000);
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

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
  // The refused release leaves the row to an operator or start-up recovery; the worker goes on.
  assert.equal(store.status(id), "accepted");
  setup.worker.addTarget("t1", 1);
  const [next] = store.insert("t1", 1, "manual");
  assert.equal((await setup.worker.runManual([next])).jobs?.[next].stdout, `ran ${next}\n`);
});

Deno.test("a run-manual claim that committed but lost its reply releases its rows to manual", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store);
  store.fail("claimManual", connectionLost(), "after");
  await assert.rejects(setup.worker.runManual([id]), /connection lost/);
  await until(`job ${id} back to 'manual'`, () => store.status(id) === "manual");
  // The client's retry runs it, once.
  const result = await setup.worker.runManual([id]);
  assert.equal(result.jobs?.[id].result, "ok");
  assert.equal(store.calls.filter((call) => call === "markRunning").length, 1);
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
  assert.deepEqual(store.calls, ["claimWaiting"]);
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
  const run = setup.worker.runManual([id]);
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

Deno.test("one claim serves every target with room and marks running the jobs its free slots start", async () => {
  const store = new MemoryStore();
  const ids = [...store.insert("t1", 3), ...store.insert("t2", 1)];
  await using setup = await workerOn(store, { t1: 2, t2: 2, t3: 1 });
  setup.worker.poll();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
  assert.deepEqual(store.claimWaitingCalls[0], [["t1", 2], ["t2", 2], ["t3", 1]]);
  assert.deepEqual(store.claimStartNow[0], [["t1", 2], ["t2", 2], ["t3", 1]]);
  // Every job started in a free slot: none needed a running mark of its own.
  assert.deepEqual(store.markRunningCalls, []);
  assert.deepEqual(store.markRunningAndDoneCalls, []);
});

Deno.test("a poked start on an idle worker costs one claim and one result write", async () => {
  const store = new MemoryStore();
  await using setup = await workerOn(store, { t1: 2 });
  const [id] = store.insert("t1", 1);
  setup.worker.poll(["t1"]);
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.deepEqual(store.calls, ["claimWaiting", "markDone"]);
  assert.equal(store.rows.get(id)?.stdout, `ran ${id}\n`);
});

Deno.test("jobs queued ahead of free slots are marked running together when they start", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 3, "manual");
  await using setup = await workerOn(store, { t1: 2 });
  const result = await setup.worker.runManual(ids);
  assert.deepEqual(Object.keys(result.jobs ?? {}).map(Number), ids);
  // A run-manual claim leaves its rows 'accepted': the starts are marked, two together.
  assert.deepEqual(store.markRunningCalls[0], [ids[0], ids[1]]);
});

Deno.test("a shutdown during a claim that marks jobs running releases them unstarted", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 3);
  await using setup = await workerOn(store, { t1: 2 });
  const letClaimGo = store.hold("claimWaiting");
  const claiming = store.reached("claimWaiting");
  setup.worker.poll();
  await claiming;
  const stopping = setup.worker.shutdown(30);
  letClaimGo();
  await within(stopping, "the shutdown");
  assert.deepEqual(store.claimStartNow, [[["t1", 2]]]);
  assert.deepEqual(ids.map((id) => store.status(id)), ["waiting", "waiting", "waiting"]);
  assert.deepEqual(ids.map((id) => store.rows.get(id)?.worker), [null, null, null]);
  assert.ok(!store.calls.includes("markDone"), "no job may have run");
});

Deno.test("a pause during a claim that marks jobs running does not stop them", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1);
  await using setup = await workerOn(store, { t1: 1 });
  const letClaimGo = store.hold("claimWaiting");
  const claiming = store.reached("claimWaiting");
  setup.worker.poll();
  await claiming;
  setup.worker.pause();
  letClaimGo();
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.ok(!store.calls.includes("markRunning"));
});

Deno.test("a run-manual job that arrives during a claim waits for the slots the claim took", async () => {
  const store = new MemoryStore();
  const [background] = store.insert("t1", 1);
  const [manual] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  await setup.holdJob(background);
  const letClaimGo = store.hold("claimWaiting");
  const claiming = store.reached("claimWaiting");
  setup.worker.poll();
  await claiming;
  const run = setup.worker.runManual([manual]);
  await until(`job ${manual} claimed`, () => store.status(manual) === "accepted");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(!store.calls.includes("markRunning"), "the manual job must wait for the slot");
  letClaimGo();
  await until(`job ${background} running`, () => store.status(background) === "running");
  assert.equal(store.status(manual), "accepted");
  await setup.letGo(background);
  assert.equal((await run).jobs?.[manual].stdout, `ran ${manual}\n`);
  assert.equal(store.status(background), "done");
});

Deno.test("a claim that marked jobs running and lost its reply releases them, and each runs once", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 2);
  await using setup = await workerOn(store, { t1: 2 });
  store.fail("claimWaiting", connectionLost(), "after");
  setup.worker.poll();
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
  assert.ok(store.calls.includes("findLeftBehind"));
  const released = store.calls.indexOf("release");
  assert.ok(released > 0 && released < store.calls.lastIndexOf("claimWaiting"));
  // Each job's result was written once: it ran once.
  assert.deepEqual(store.markDoneCalls.flat().sort((a, b) => a - b), ids);
  for (const id of ids) assert.equal(store.rows.get(id)?.stdout, `ran ${id}\n`);
});

Deno.test("a claim in doubt leaves alone the running rows of jobs that run here or wait for their write", async () => {
  const store = new MemoryStore();
  const [long, quick] = store.insert("t1", 2);
  await using setup = await workerOn(store, { t1: 3 });
  await setup.holdJob(long);
  const letWrite = store.hold("markDone");
  // Early in a second: the claims below mark their rows with the same `time_started`.
  await until("the start of a second", () => Date.now() % 1000 < 300);
  setup.worker.poll();
  await until(`job ${quick}'s result write`, () => store.calls.includes("markDone"));
  // A claim that marks a job, commits, and loses its reply.
  const [third] = store.insert("t1", 1);
  store.fail("claimWaiting", connectionLost(), "after");
  setup.worker.poll();
  await until(
    `job ${third} released and started again`,
    () => store.calls.includes("release") && store.status(third) === "running",
  );
  assert.deepEqual(store.calls.filter((call) => call === "release").length, 1);
  assert.equal(store.status(long), "running", "the long job still runs");
  assert.equal(store.status(quick), "running", "its result is still being written");
  letWrite();
  await setup.letGo(long);
  const ids = [long, quick, third];
  await until("every job done", () => ids.every((id) => store.status(id) === "done"));
  for (const id of ids) assert.equal(store.rows.get(id)?.stdout, `ran ${id}\n`);
  assert.deepEqual(store.markDoneCalls.flat().sort((a, b) => a - b), ids);
});

Deno.test("jobs waiting behind a start that the database holds up are released at shutdown", async () => {
  const store = new MemoryStore();
  const [first] = store.insert("t1", 1, "manual");
  const [second] = store.insert("t2", 1, "manual");
  await using setup = await workerOn(store, { t1: 1, t2: 1 });
  store.fail("markRunning", connectionLost());
  const failing = store.reached("markRunning");
  const runs = [setup.worker.runManual([first])];
  await failing;
  // The first start now waits out a backoff; the second queues behind it.
  runs.push(setup.worker.runManual([second]));
  await until(`job ${second} claimed`, () => store.status(second) === "accepted");
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
  const result = await setup.worker.runManual([id]);
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
