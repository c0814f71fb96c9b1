import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { watchDatabase } from "./database_watch.ts";

Deno.test("the database answering after an outage is reported once (the worker then retries its name lock at once)", async () => {
  const memory = new MemoryStore();
  let back = 0;
  const store = watchDatabase(memory, "memory", undefined, () => back++);
  await store.ping();
  assert.equal(back, 0, "no outage yet");

  memory.down = true;
  await assert.rejects(store.ping());
  await assert.rejects(store.ping());
  assert.equal(back, 0, "still away");

  memory.down = false;
  await store.ping();
  await store.ping();
  assert.equal(back, 1, "one report for the return");
});
