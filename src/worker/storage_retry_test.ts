import assert from "node:assert/strict";
import { StorageRetry } from "./storage_retry.ts";

/** A driver error that means "the database is away": worth a retry. */
function connectionLost(): Error {
  return Object.assign(new Error("connection lost"), { code: "ECONNRESET" });
}

Deno.test("an operation is run again while the database is away, at once when woken", async () => {
  const retry = new StorageRetry();
  let calls = 0;
  const done = retry.run("mark job 1 running", () => {
    calls++;
    return calls < 3 ? Promise.reject(connectionLost()) : Promise.resolve("marked");
  });
  // The backoff starts at 250 ms: waking skips it.
  const waker = setInterval(() => retry.wakeAll(), 5);
  try {
    assert.equal(await done, "marked");
  } finally {
    clearInterval(waker);
  }
  assert.equal(calls, 3);
});

Deno.test("an error a retry cannot fix is thrown at once", async () => {
  const retry = new StorageRetry();
  let calls = 0;
  const refused = Object.assign(new Error("table is read only"), { code: "ER_OPEN_AS_READONLY" });
  await assert.rejects(
    retry.run("store a result", () => {
      calls++;
      return Promise.reject(refused);
    }),
    refused,
  );
  assert.equal(calls, 1);
});

Deno.test("abandon() ends the retries: the operation waiting throws its error", async () => {
  const retry = new StorageRetry();
  let calls = 0;
  const attempted = Promise.withResolvers<void>();
  const done = retry.run("release job 1", () => {
    calls++;
    attempted.resolve();
    return Promise.reject(connectionLost());
  });
  await attempted.promise;
  retry.abandon();
  await assert.rejects(done, /connection lost/);
  assert.equal(retry.abandoned, true);
  assert.ok(calls <= 2, `${calls} attempts`);
});
