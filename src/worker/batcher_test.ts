import assert from "node:assert/strict";
import { Batcher } from "./batcher.ts";

Deno.test("calls made in one turn go to the handler as one batch, in order", async () => {
  const batches: number[][] = [];
  const doubler = new Batcher(async (items: number[]) => {
    batches.push(items);
    await Promise.resolve();
    return items.map((item) => item * 2);
  }, 100);
  const results = await Promise.all([1, 2, 3].map((item) => doubler.add(item)));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(batches, [[1, 2, 3]]);
});

Deno.test("calls made while a batch is handled wait for it and go together in the next", async () => {
  const batches: number[][] = [];
  const gate = Promise.withResolvers<void>();
  const echo = new Batcher(async (items: number[]) => {
    batches.push(items);
    if (batches.length === 1) await gate.promise;
    return items;
  }, 100);
  const first = echo.add(1);
  await Promise.resolve();
  const later = [echo.add(2), echo.add(3)];
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(batches, [[1]], "the second batch waits for the first");
  gate.resolve();
  assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3]);
  assert.deepEqual(batches, [[1], [2, 3]]);
});

Deno.test("batches hold at most maxBatch items", async () => {
  const sizes: number[] = [];
  const echo = new Batcher((items: number[]) => {
    sizes.push(items.length);
    return Promise.resolve(items);
  }, 2);
  await Promise.all([1, 2, 3, 4, 5].map((item) => echo.add(item)));
  assert.deepEqual(sizes, [2, 2, 1]);
});

Deno.test("a failed batch rejects each of its calls; the next batch is handled", async () => {
  let calls = 0;
  const flaky = new Batcher((items: string[]) => {
    calls++;
    return calls === 1 ? Promise.reject(new Error("database away")) : Promise.resolve(items);
  }, 100);
  const failed = [flaky.add("a"), flaky.add("b")];
  for (const call of failed) await assert.rejects(call, /database away/);
  assert.equal(await flaky.add("c"), "c");
});
