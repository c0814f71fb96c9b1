// A claim marks `running` the jobs its free slots start at once.
import assert from "node:assert/strict";
import {
  connectionLost,
  MemoryStore,
  storeWithAttempts,
} from "../../tests/helpers/memory_store.ts";
import { ClaimGate } from "./claim_gate.ts";
import { unixNow } from "../unix_time.ts";
import {
  runManualDuringClaim,
  runManualQueued,
  until,
  within,
  workerOn,
} from "../../tests/helpers/worker_in_process.ts";

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
  const { run } = await runManualQueued(setup, store, ids);
  const result = await run;
  assert.deepEqual(Object.keys(result.jobs ?? {}).map(Number), ids);
  // Claimed while a background claim held the slots, the rows were 'accepted':
  // the starts are marked, two together.
  assert.deepEqual(store.markRunningCalls[0], [ids[0], ids[1]]);
});

Deno.test("a shutdown during a claim that marks jobs running releases them unstarted", async () => {
  const store = storeWithAttempts();
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
  // The claim counted a start of the two it marked; they never started, so it is given back.
  assert.deepEqual(ids.map((id) => store.rows.get(id)?.attempts), [0, 0, 0]);
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
  const { run, letClaimGo } = await runManualDuringClaim(setup, store, [manual]);
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
  let thirdMarkedAt: number | null | undefined;
  store.hook("claimWaiting", (phase) => {
    if (phase !== "after") return;
    thirdMarkedAt = store.rows.get(third)?.time_started;
    throw connectionLost();
  });
  setup.worker.poll();
  await until(
    `job ${third} released and started again`,
    () => store.calls.includes("release") && store.status(third) === "running",
  );
  assert.equal(
    thirdMarkedAt,
    store.rows.get(quick)?.time_started,
    "the case needs both claims in one second",
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

Deno.test("a claim part reported in doubt has its unstarted running rows released, and each runs once", async () => {
  const store = storeWithAttempts();
  const [id] = store.insert("t1", 1);
  await using setup = await workerOn(store, { t1: 1 });
  // A claim of this worker marked the row and its reply was lost (claim_isolation.ts).
  await store.claimWaiting(new Map([["t1", 1]]), new Map([["t1", 1]]), 1_700_000_000);
  assert.equal(store.status(id), "running");

  setup.worker.claimInDoubt(1_700_000_000);
  setup.worker.poll();

  await until("the job done", () => store.status(id) === "done");
  assert.equal(store.calls.filter((call) => call === "markDone").length, 1);
  assert.equal(
    store.rows.get(id)?.attempts,
    1,
    "the attempt of the start that never was is given back",
  );
});

Deno.test("a shutdown before a lost claim is looked for releases the jobs it marked, their attempts given back", async () => {
  const store = storeWithAttempts();
  const ids = store.insert("t1", 2);
  await using setup = await workerOn(store, { t1: 2 });
  store.fail("claimWaiting", connectionLost(), "after");
  const claimed = store.reached("claimWaiting");
  setup.worker.poll();
  await claimed;
  // The claim committed and its reply was lost; the worker stops before its retry.
  await until("the lost claim", () => ids.every((id) => store.status(id) === "running"));
  await within(setup.worker.shutdown(30), "the shutdown");
  assert.deepEqual(ids.map((id) => store.status(id)), ["waiting", "waiting"]);
  assert.deepEqual(ids.map((id) => store.rows.get(id)?.attempts), [0, 0]);
  assert.ok(!store.calls.includes("markDone"), "no job ran");
});

Deno.test("a claim that waited at the claim gate marks its jobs running with the time it went to the store", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1);
  const gate = new ClaimGate({ name: "w", held: true });
  const options = { store: gate.guard(store), claimsOpen: () => gate.opened() };
  await using setup = await workerOn(store, { t1: 1 }, options);
  const polled = unixNow();
  setup.worker.poll();
  // Start-up recovery keeps the gate shut across seconds.
  await until("two seconds later", () => unixNow() >= polled + 2);
  const opened = unixNow();
  gate.open();
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.deepEqual(store.claimStartNow[0], [["t1", 1]], "the claim marked the job");
  const started = store.rows.get(id)?.time_started ?? 0;
  assert.ok(started >= opened, `time_started ${started} is before the gate opened (${opened})`);
});
