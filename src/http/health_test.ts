import assert from "node:assert/strict";
import { type HealthCheck, healthReason, runHealthCheck, sharedCheck } from "./health.ts";

/** A check that answers when `release` is called, counting its runs. */
function slowCheck(): HealthCheck & { runs: number; release(problem?: string): void } {
  let finish: ((problem: string | undefined) => void) | undefined;
  const check = {
    name: "database",
    runs: 0,
    check(): Promise<string | undefined> {
      check.runs++;
      return new Promise((resolve) => finish = resolve);
    },
    release(problem?: string) {
      finish?.(problem);
    },
  };
  return check;
}

/** Lets the promise callbacks queued so far run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("checks at once share one run; the next check after it runs again", async () => {
  const slow = slowCheck();
  const shared = sharedCheck(slow);
  const answers = Array.from({ length: 20 }, () => runHealthCheck(shared));
  await settle();
  assert.equal(slow.runs, 1);
  slow.release("connect ECONNREFUSED");
  assert.deepEqual(new Set(await Promise.all(answers)), new Set(["connect ECONNREFUSED"]));
  const next = runHealthCheck(shared);
  await settle();
  assert.equal(slow.runs, 2);
  slow.release();
  assert.equal(await next, undefined);
});

Deno.test("a shared check that throws gives each waiter the message, and runs again after", async () => {
  let runs = 0;
  const shared = sharedCheck({
    name: "database",
    check: () => {
      runs++;
      return Promise.reject(new Error("Cannot reach the jobs"));
    },
  });
  assert.deepEqual(
    await Promise.all([runHealthCheck(shared), runHealthCheck(shared)]),
    ["Cannot reach the jobs", "Cannot reach the jobs"],
  );
  assert.equal(runs, 1);
  assert.equal(await runHealthCheck(shared), "Cannot reach the jobs");
  assert.equal(runs, 2);
});

Deno.test("a reason from elsewhere stays one honest line: line separators and bidi overrides are escaped", () => {
  assert.equal(
    healthReason("refused\u2028ok: \u202Edenied\u202C\r\n"),
    "refused\\u2028ok: \\u202edenied\\u202c\\x0d\\x0a",
  );
});
