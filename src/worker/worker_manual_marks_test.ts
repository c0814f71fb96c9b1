// A run-manual claim marks `running` the jobs that can start at once.
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
  until,
  within,
  workerOn,
} from "../../tests/helpers/worker_in_process.ts";

Deno.test("a run-manual job on an idle target costs one claim and one result write", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 2 });
  const result = await setup.worker.runManual([id]);
  assert.equal(result.jobs?.[id].stdout, `ran ${id}\n`);
  assert.deepEqual(store.calls, ["claimManual", "markDone"]);
  assert.deepEqual(store.claimManualStartNow, [[["t1", 1]]]);
  assert.equal(store.status(id), "done");
});

Deno.test("a run-manual claim marks the jobs its free slots start, even on a paused target; the rest wait for a mark", async () => {
  const store = new MemoryStore();
  const ids = store.insert("t1", 3, "manual");
  await using setup = await workerOn(store, { t1: 2, t2: 1 });
  setup.worker.pause(["t1"]);
  const result = await setup.worker.runManual(ids);
  assert.deepEqual(Object.keys(result.jobs ?? {}).map(Number), ids);
  // Each served target may start up to its free slots: the claim tells whose jobs they are.
  assert.deepEqual(store.claimManualStartNow, [[["t1", 2], ["t2", 1]]]);
  const marks = [
    ...store.markRunningCalls.flat(),
    ...store.markRunningAndDoneCalls.flatMap((call) => call.starting),
  ];
  assert.deepEqual(marks, [ids[2]], "only the job beyond the free slots needs a mark");
  assert.deepEqual(ids.map((id) => store.status(id)), ["done", "done", "done"]);
});

Deno.test("a run-manual claim waits for no slot a background claim in flight reserved", async () => {
  const store = new MemoryStore();
  const [background] = store.insert("t1", 1);
  const [manual] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  const { run, letClaimGo } = await runManualDuringClaim(setup, store, [manual]);
  // The background claim holds the only slot: the manual job was not marked.
  assert.deepEqual(store.claimManualStartNow, [[]]);
  letClaimGo();
  assert.equal((await run).jobs?.[manual].stdout, `ran ${manual}\n`);
  await until(`job ${background} done`, () => store.status(background) === "done");
});

Deno.test("a shutdown during a run-manual claim releases its marked jobs, their attempt given back", async () => {
  const store = storeWithAttempts();
  const ids = store.insert("t1", 2, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  const letClaimGo = store.hold("claimManual");
  const claiming = store.reached("claimManual");
  const run = setup.worker.runManual(ids);
  await claiming;
  const stopping = setup.worker.shutdown(30);
  letClaimGo();
  assert.deepEqual(await within(run, "the run-manual answer"), {
    errors: { [ids[0]]: "the worker is shutting down", [ids[1]]: "the worker is shutting down" },
  });
  await within(stopping, "the shutdown");
  assert.deepEqual(store.claimManualStartNow, [[["t1", 1]]]);
  assert.deepEqual(ids.map((id) => store.status(id)), ["manual", "manual"]);
  assert.deepEqual(ids.map((id) => store.rows.get(id)?.attempts), [0, 0]);
  assert.deepEqual(ids.map((id) => store.rows.get(id)?.worker), [null, null]);
  assert.ok(!store.calls.includes("markDone"), "no job may have run");
});

Deno.test("a target removed during a run-manual claim gives its marked jobs back to manual", async () => {
  const store = storeWithAttempts();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  const letClaimGo = store.hold("claimManual");
  const claiming = store.reached("claimManual");
  const run = setup.worker.runManual([id]);
  await claiming;
  // The reserved slot does not count as a queued job: the target can go.
  setup.worker.removeTarget("t1");
  letClaimGo();
  assert.deepEqual(await run, { errors: { [id]: `target 't1' not found (job id=${id})` } });
  await until(`job ${id} back to 'manual'`, () => store.status(id) === "manual");
  assert.equal(store.rows.get(id)?.attempts, 0);
  assert.ok(!store.calls.includes("markDone"), "the job may not have run");
  // Served again, it runs once.
  setup.worker.addTarget("t1", 1);
  assert.equal((await setup.worker.runManual([id])).jobs?.[id].stdout, `ran ${id}\n`);
  assert.equal(store.rows.get(id)?.attempts, 1);
});

Deno.test("a run-manual claim in doubt releases the rows it marked to manual, their attempt given back", async () => {
  const store = storeWithAttempts();
  const [id] = store.insert("t1", 1, "manual");
  await using setup = await workerOn(store, { t1: 1 });
  store.fail("claimManual", connectionLost(), "after");
  await assert.rejects(setup.worker.runManual([id]), /connection lost/);
  await until(`job ${id} back to 'manual'`, () => store.status(id) === "manual");
  assert.equal(store.rows.get(id)?.attempts, 0);
  assert.equal(store.rows.get(id)?.worker, null);
  assert.ok(!store.calls.includes("markDone"), "the job may not have run");
  // The client's retry runs it, once.
  assert.equal((await setup.worker.runManual([id])).jobs?.[id].stdout, `ran ${id}\n`);
  assert.deepEqual(store.markDoneCalls, [[id]]);
  assert.equal(store.rows.get(id)?.attempts, 1);
});

Deno.test("a run-manual claim that waited at the claim gate marks its jobs running with the time it went to the store", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("t1", 1, "manual");
  const gate = new ClaimGate({ name: "w", held: true });
  const options = { store: gate.guard(store), claimsOpen: () => gate.opened() };
  await using setup = await workerOn(store, { t1: 1 }, options);
  const asked = unixNow();
  const run = setup.worker.runManual([id]);
  // Start-up recovery keeps the gate shut across seconds.
  await until("two seconds later", () => unixNow() >= asked + 2);
  const opened = unixNow();
  gate.open();
  const result = await within(run, "the run-manual");
  assert.equal(result.jobs?.[id].stdout, `ran ${id}\n`);
  assert.deepEqual(store.claimManualStartNow, [[["t1", 1]]], "the claim marked the job");
  const started = store.rows.get(id)?.time_started ?? 0;
  assert.ok(started >= opened, `time_started ${started} is before the gate opened (${opened})`);
});
