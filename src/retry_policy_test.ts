import assert from "node:assert/strict";
import { Backoff, jitter, retry } from "./retry_policy.ts";

Deno.test("a backoff doubles its delay up to the longest, within a quarter either way", () => {
  const backoff = new Backoff({ firstMs: 100, maxMs: 400 });
  const delays = Array.from({ length: 5 }, () => backoff.next());
  [100, 200, 400, 400, 400].forEach((base, index) => {
    assert.ok(delays[index] >= base * 0.75 && delays[index] <= base * 1.25, `${delays}`);
  });
  backoff.reset();
  assert.ok(backoff.next() <= 125, "a reset starts over");
});

Deno.test("jitter spreads a delay by at most a quarter", () => {
  for (let i = 0; i < 100; i++) {
    const ms = jitter(1000);
    assert.ok(ms >= 750 && ms <= 1250, `${ms}`);
  }
});

Deno.test("retry runs an operation again while it fails for a retryable reason", async () => {
  let calls = 0;
  const waits: number[] = [];
  const result = await retry(() => {
    if (++calls < 3) throw new Error("busy");
    return "done";
  }, {
    retryable: (error) => error instanceof Error && error.message === "busy",
    steps: { firstMs: 1, maxMs: 1 },
    onRetry: (_, delay) => waits.push(delay),
  });
  assert.equal(result, "done");
  assert.equal(calls, 3);
  assert.equal(waits.length, 2, "one wait before each new attempt");
});

Deno.test("retry throws at once what is not retryable, and the last error once the attempts are used up", async () => {
  let calls = 0;
  const fails = () => {
    calls++;
    throw new Error(`failure ${calls}`);
  };
  await assert.rejects(retry(fails, { retryable: () => false }), /failure 1/);
  calls = 0;
  await assert.rejects(
    retry(fails, { retryable: () => true, attempts: 3, steps: { firstMs: 1, maxMs: 1 } }),
    /failure 3/,
  );
});

Deno.test("retry gives up once its time is used up", async () => {
  let calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      throw new Error("busy");
    }, { retryable: () => true, timeoutMs: 50, steps: { firstMs: 5, maxMs: 5 } }),
    /busy/,
  );
  assert.ok(calls > 1 && calls < 50, `${calls} attempts`);
});
