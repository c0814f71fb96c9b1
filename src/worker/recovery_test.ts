import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { recoverLeftBehind } from "./recovery.ts";

Deno.test("recovery puts back every row a worker held ahead, 150,000 of them, to waiting", async () => {
  const store = new MemoryStore({ workerName: "w1" });
  const ids = store.insert("build", 150_000, "accepted");
  for (const id of ids) store.rows.get(id)!.worker = "w1";
  const report = await recoverLeftBehind(store, "fail");
  assert.equal(report.requeued.length, 150_000);
  assert.deepEqual([report.requeued[0], report.requeued.at(-1)], [ids[0], ids.at(-1)]);
  assert.ok([...store.rows.values()].every((row) => row.status === "waiting"));
});
