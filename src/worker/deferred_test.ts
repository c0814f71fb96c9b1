import assert from "node:assert/strict";
import { connectionLost, MemoryStore, MemoryTable } from "../../tests/helpers/memory_store.ts";
import { DeferredJobs } from "./deferred.ts";

Deno.test("targets whose rows a failed look promoted are named by the next look, so a round claims them", async () => {
  const store = new MemoryStore({ table: new MemoryTable({ timeColumns: true }) });
  const [id] = store.insert("t1", 1, "delayed"); // time_run_at 0: due
  const deferred = new DeferredJobs(store, () => {});
  try {
    deferred.want(["t1"]);
    // The promotion is done; the count after it fails (the database went away).
    store.fail("countDelayed", connectionLost());
    await assert.rejects(deferred.look(new Set(["t1"])), /connection lost/);
    assert.equal(store.status(id), "waiting");
    // The retried round's look promotes nothing more, yet names t1: its row waits unclaimed.
    assert.deepEqual(await deferred.look(new Set(["t1"])), ["t1"]);
    assert.deepEqual(await deferred.look(new Set(["t1"])), [], "named once");
  } finally {
    deferred.stop();
  }
});
