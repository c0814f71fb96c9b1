import assert from "node:assert/strict";
import { connectionLost, MemoryStore } from "../../tests/helpers/memory_store.ts";
import type { FinishedJob } from "../storage/job_store.ts";
import { MAX_TAKEN_RESULTS, ResultWriter } from "./result_writer.ts";

/** A store whose rows 1 to `count` are `running` (the worker column left out). */
function runningRows(count: number): MemoryStore {
  const store = new MemoryStore({ tracksOwner: false });
  store.insert("t1", count, "running");
  return store;
}

/** The ids of the rows written `done`. */
function doneIds(store: MemoryStore): number[] {
  return store.table.read().filter((row) => row.status === "done").map((row) => row.id);
}

function finished(id: number): FinishedJob {
  return {
    id,
    finishedAt: 1_700_000_000,
    outcome: { result: "ok", code: 0, signal: null, stdout: `out ${id}`, stderr: "" },
  };
}

Deno.test("results are stored and reported stored; a row no longer running is reported untouched", async () => {
  const store = runningRows(2);
  const writer = new ResultWriter(store);
  assert.deepEqual(
    await Promise.all([
      writer.write(finished(1)),
      writer.write(finished(2)),
      writer.write(finished(3)),
    ]),
    ["stored", "stored", "untouched"],
  );
  assert.deepEqual(doneIds(store), [1, 2]);
  assert.equal(writer.pending, 0);
});

Deno.test("a result queued just as the writer finishes its queue is written too", async () => {
  const store = runningRows(2);
  const writer = new ResultWriter(store);
  // The second write comes from the first one's continuation: the writer has
  // just emptied its queue and is about to stop.
  const second = writer.write(finished(1)).then(() => writer.write(finished(2)));
  assert.equal(await second, "stored");
  assert.deepEqual(doneIds(store), [1, 2]);
  await writer.flush();
  assert.equal(writer.pending, 0);
});

Deno.test("a write that fails while the database is away is retried until stored", async () => {
  const store = runningRows(1);
  store.fail("markDone", connectionLost());
  const writer = new ResultWriter(store);
  assert.equal(await writer.write(finished(1)), "stored");
  assert.equal(store.rows.get(1)?.stdout, "out 1");
});

Deno.test("results that end close together are written by one store call", async () => {
  const store = runningRows(3);
  const writer = new ResultWriter(store);
  const first = writer.write(finished(1));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const rest = [writer.write(finished(2)), writer.write(finished(3))];
  assert.deepEqual(await Promise.all([first, ...rest]), ["stored", "stored", "stored"]);
  assert.deepEqual(store.markDoneCalls, [[1, 2, 3]]);
});

Deno.test("an urgent result is written at once, with those already waiting", async () => {
  const store = runningRows(2);
  const writer = new ResultWriter(store);
  const waiting = writer.write(finished(1));
  const urgent = writer.write(finished(2), true);
  // A few turns of the microtask queue, far less than the gathering wait.
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  assert.deepEqual(store.markDoneCalls, [[1, 2]]);
  assert.deepEqual(await Promise.all([waiting, urgent]), ["stored", "stored"]);
});

Deno.test("results taken for another statement are settled by the taker, or written when given back", async () => {
  const store = runningRows(4);
  const writer = new ResultWriter(store);
  const outcomes = [1, 2].map((id) => writer.write(finished(id)));
  const urgent = writer.write(finished(3), true);
  const taken = writer.take();
  assert.deepEqual(taken?.jobs.map((job) => job.id), [1, 2], "not the one a caller waits for");
  assert.equal(writer.pending, 3);
  taken!.settle([2]);
  assert.deepEqual(await Promise.all([...outcomes, urgent]), ["stored", "untouched", "stored"]);
  assert.deepEqual(store.markDoneCalls, [[3]]);

  const givenBack = writer.write(finished(4));
  writer.take()!.giveBack();
  assert.equal(await givenBack, "stored");
  assert.deepEqual(store.markDoneCalls, [[3], [4]]);
  assert.equal(writer.take(), undefined);
  assert.equal(writer.pending, 0);
});

Deno.test("a start takes at most MAX_TAKEN_RESULTS results along; the rest wait for their own write", async () => {
  const count = MAX_TAKEN_RESULTS + 36;
  const store = runningRows(count);
  const writer = new ResultWriter(store);
  const outcomes = Array.from({ length: count }, (_, i) => writer.write(finished(i + 1)));
  const taken = writer.take()!;
  assert.deepEqual(
    taken.jobs.map((job) => job.id),
    Array.from({ length: MAX_TAKEN_RESULTS }, (_, i) => i + 1),
  );
  taken.settle([]);
  assert.deepEqual(new Set(await Promise.all(outcomes)), new Set(["stored"]));
  assert.deepEqual(store.markDoneCalls.flat().sort((a, b) => a - b), [
    ...Array.from({ length: 36 }, (_, i) => MAX_TAKEN_RESULTS + i + 1),
  ]);
});
