import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { until, workerOn } from "../../tests/helpers/worker_in_process.ts";
import type { Connection } from "../net/connection.ts";
import { WorkerRequest } from "../protocol/requests.ts";
import { workerHandlers } from "./handlers.ts";
import { TargetReload } from "./target_reload.ts";
import type { Worker } from "./worker.ts";

function targets(object: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(object));
}

/** Each served target's concurrency. */
function served(worker: Worker): Record<string, number> {
  return Object.fromEntries([...worker.targets.values()].map((t) => [t.name, t.concurrency]));
}

Deno.test("a reload of an unchanged [targets] leaves what requests made of the targets", async () => {
  await using setup = await workerOn(new MemoryStore(), { build: 2, mail: 1, old: 1 });
  const { worker } = setup;
  worker.addTarget("extra", 1);
  worker.setConcurrency("build", 5);
  worker.removeTarget("old");
  worker.pause(["mail"]);
  const file = targets({ build: 2, mail: 1, old: 1 });
  assert.deepEqual(new TargetReload(worker).apply(file, file), { applied: [], refused: new Map() });
  assert.deepEqual(served(worker), { build: 5, mail: 1, extra: 1 });
  assert.equal(worker.targets.get("mail")?.paused, true);
});

Deno.test("a target whose line the file changed takes the file's new state, whatever requests did", async () => {
  await using setup = await workerOn(new MemoryStore(), { build: 2, mail: 1, thumbs: 1 });
  const { worker } = setup;
  worker.addTarget("extra", 1);
  worker.setConcurrency("thumbs", 4);
  worker.removeTarget("mail");
  worker.pause(["build"]);
  new TargetReload(worker).apply(
    targets({ build: 2, mail: 1, thumbs: 1 }),
    // build resized, mail resized (it was removed by request: served again),
    // thumbs removed (resized by request), extra added (served already: resized).
    targets({ build: 3, mail: 2, extra: 6 }),
  );
  assert.deepEqual(served(worker), { build: 3, extra: 6, mail: 2 });
  assert.equal(worker.targets.get("build")?.paused, true, "a pause survives the resize");
});

/** The worker's target handlers never read the connection a request came on. */
const NO_CONNECTION = {} as Connection;

/** A reload's outcome that applied nothing beyond the file's changes and had none refused. */
const NOTHING = { applied: [], refused: new Map() };

Deno.test("a removal refused while a job runs is tried again at each later reload, and said", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("mail", 1);
  await using setup = await workerOn(store, { build: 1, mail: 1 });
  const { worker } = setup;
  await setup.holdJob(id);
  worker.poll(["mail"]);
  await until(`job ${id} running`, () => store.status(id) === "running");
  const reload = new TargetReload(worker);
  const before = targets({ build: 1, mail: 1 });
  const after = targets({ build: 1 });
  assert.deepEqual(reload.apply(before, after), {
    applied: [],
    refused: new Map([[
      "mail",
      "target mail: removal refused (1 job queued or running), tried again at the next reload",
    ]]),
  });
  assert.ok(worker.targets.has("mail"), "kept while its job runs");
  // The same file again: still running, still kept; the file changed nothing to refuse.
  assert.deepEqual(reload.apply(after, after), NOTHING);
  assert.ok(worker.targets.has("mail"));

  await setup.letGo(id);
  await until(
    `job ${id} done`,
    () => store.status(id) === "done" && worker.targets.get("mail")?.length === 0,
  );
  assert.deepEqual(reload.apply(after, after), {
    applied: ["target mail removed (left over from an earlier reload)"],
    refused: new Map(),
  });
  assert.deepEqual(served(worker), { build: 1 });
  // Applied once: the next reload has nothing left over.
  assert.deepEqual(reload.apply(after, after), NOTHING);
});

Deno.test("a left-over removal is dropped once the file lists the target again", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("mail", 1);
  await using setup = await workerOn(store, { mail: 1 });
  const { worker } = setup;
  await setup.holdJob(id);
  worker.poll(["mail"]);
  await until(`job ${id} running`, () => store.status(id) === "running");
  const reload = new TargetReload(worker);
  reload.apply(targets({ mail: 1 }), targets({}));
  assert.deepEqual(reload.apply(targets({}), targets({ mail: 3 })), NOTHING);
  assert.deepEqual(served(worker), { mail: 3 });
  await setup.letGo(id);
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.deepEqual(reload.apply(targets({ mail: 3 }), targets({ mail: 3 })), NOTHING);
  assert.deepEqual(served(worker), { mail: 3 });
});

Deno.test("a request to a target drops the reload's change to it left over", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("mail", 1);
  await using setup = await workerOn(store, { build: 1, mail: 1 });
  const { worker } = setup;
  const reload = new TargetReload(worker);
  const handlers = workerHandlers(worker, { onTargetRequest: (name) => reload.requested(name) });
  await setup.holdJob(id);
  worker.poll(["mail"]);
  await until(`job ${id} running`, () => store.status(id) === "running");
  const after = targets({ build: 1 });
  reload.apply(targets({ build: 1, mail: 1 }), after);
  assert.ok(worker.targets.has("mail"), "kept while its job runs: the removal is left over");

  // What the operator asks after the file's change outranks it.
  await handlers[WorkerRequest.SetTargetConcurrency](
    { target: "mail", concurrency: 3 },
    NO_CONNECTION,
  );
  await setup.letGo(id);
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.deepEqual(reload.apply(after, after), NOTHING);
  assert.deepEqual(served(worker), { build: 1, mail: 3 });
});

Deno.test("a request that fails leaves the reload's change left over", async () => {
  const store = new MemoryStore();
  const [id] = store.insert("mail", 1);
  await using setup = await workerOn(store, { mail: 1 });
  const { worker } = setup;
  const reload = new TargetReload(worker);
  const handlers = workerHandlers(worker, { onTargetRequest: (name) => reload.requested(name) });
  await setup.holdJob(id);
  worker.poll(["mail"]);
  await until(`job ${id} running`, () => store.status(id) === "running");
  reload.apply(targets({ mail: 1 }), targets({}));
  // remove-target is refused too while the job runs: it changed nothing.
  await assert.rejects(
    async () => await handlers[WorkerRequest.RemoveTarget]({ target: "mail" }, NO_CONNECTION),
    /queue is not empty/,
  );
  await setup.letGo(id);
  await until(
    `job ${id} done`,
    () => store.status(id) === "done" && worker.targets.get("mail")?.length === 0,
  );
  assert.deepEqual(reload.apply(targets({}), targets({})).applied, [
    "target mail removed (left over from an earlier reload)",
  ]);
  assert.deepEqual(served(worker), {});
});
