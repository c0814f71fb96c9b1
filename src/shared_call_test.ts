import assert from "node:assert/strict";
import { SharedCall } from "./shared_call.ts";

/** A call that settles when the test says, counting its runs. */
function controlled() {
  const runs: PromiseWithResolvers<string>[] = [];
  return {
    runs,
    call: () => {
      const run = Promise.withResolvers<string>();
      runs.push(run);
      return run.promise;
    },
  };
}

/** Lets the promise callbacks queued so far run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("calls while one is under way share it; with no reuse time the next one runs again", async () => {
  const { runs, call } = controlled();
  const shared = new SharedCall(call);
  const answers = [shared.get(), shared.get(), shared.get()];
  await settle();
  assert.equal(runs.length, 1);
  runs[0].resolve("first");
  assert.deepEqual(await Promise.all(answers), ["first", "first", "first"]);
  const next = shared.get();
  await settle();
  assert.equal(runs.length, 2);
  runs[1].resolve("second");
  assert.equal(await next, "second");
});

Deno.test("an outcome is reused until older than the reader accepts, an error too", async () => {
  const { runs, call } = controlled();
  const shared = new SharedCall(call, 60_000);
  const first = shared.get();
  await settle();
  runs[0].reject(new Error("no worker is registered"));
  await assert.rejects(first, /no worker is registered/);
  await assert.rejects(shared.get(), /no worker is registered/, "reused within the default age");
  await settle();
  assert.equal(runs.length, 1);
  const fresh = shared.get(0);
  await settle();
  assert.equal(runs.length, 2, "a reader that accepts no age gets a new run");
  runs[1].resolve("counted");
  assert.equal(await fresh, "counted");
  assert.equal(await shared.get(), "counted");
  assert.equal(runs.length, 2);
});

Deno.test("forget() drops the last run, even one under way; a call that throws at once rejects", async () => {
  const { runs, call } = controlled();
  const shared = new SharedCall(call, 60_000);
  const before = shared.get();
  await settle();
  shared.forget();
  const after = shared.get();
  await settle();
  assert.equal(runs.length, 2);
  runs[0].resolve("before");
  runs[1].resolve("after");
  assert.deepEqual(await Promise.all([before, after]), ["before", "after"]);
  const throwing = new SharedCall((): string => {
    throw new Error("bad");
  });
  await assert.rejects(throwing.get(), /bad/);
});
