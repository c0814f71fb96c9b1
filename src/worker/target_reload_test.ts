import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { until, workerOn } from "../../tests/helpers/worker_in_process.ts";
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
  assert.deepEqual(new TargetReload(worker).apply(file, file), []);
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
  assert.deepEqual(reload.apply(before, after), []);
  assert.ok(worker.targets.has("mail"), "kept while its job runs");
  // The same file again: still running, still kept.
  assert.deepEqual(reload.apply(after, after), []);
  assert.ok(worker.targets.has("mail"));

  await setup.letGo(id);
  await until(
    `job ${id} done`,
    () => store.status(id) === "done" && worker.targets.get("mail")?.length === 0,
  );
  assert.deepEqual(reload.apply(after, after), [
    "target mail removed (left over from an earlier reload)",
  ]);
  assert.deepEqual(served(worker), { build: 1 });
  // Applied once: the next reload has nothing left over.
  assert.deepEqual(reload.apply(after, after), []);
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
  assert.deepEqual(reload.apply(targets({}), targets({ mail: 3 })), []);
  assert.deepEqual(served(worker), { mail: 3 });
  await setup.letGo(id);
  await until(`job ${id} done`, () => store.status(id) === "done");
  assert.deepEqual(reload.apply(targets({ mail: 3 }), targets({ mail: 3 })), []);
  assert.deepEqual(served(worker), { mail: 3 });
});
