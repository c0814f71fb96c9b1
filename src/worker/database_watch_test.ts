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

Deno.test("a database that refuses only writes (its disk full) is back when a write works, not at a read", async () => {
  const memory = new MemoryStore();
  let back = 0;
  const store = watchDatabase(memory, "memory", undefined, () => back++);
  // node:sqlite's error for SQLITE_FULL: reads go on working meanwhile.
  const diskFull = () =>
    Object.assign(new Error("database or disk is full"), { code: "ERR_SQLITE_ERROR", errcode: 13 });
  memory.fail("markRunning", diskFull());
  await assert.rejects(store.markRunning([1], 100));
  await store.ping();
  await store.countDelayed(["build"]);
  assert.equal(back, 0, "reads that work do not end an outage of writes");

  await store.markRunning([1], 100);
  assert.equal(back, 1, "the write that works again ends it");

  // An outage of the connection still ends at any operation that works.
  memory.down = true;
  await assert.rejects(store.markRunning([1], 100));
  memory.down = false;
  await store.ping();
  assert.equal(back, 2);
});
