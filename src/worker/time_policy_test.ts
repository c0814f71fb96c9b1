import assert from "node:assert/strict";
import { DEFAULT_JOB_POLICY } from "../config/job_policy.ts";
import type { ClaimedJob, JobOutcome } from "../job.ts";
import { NO_TIME_FEATURES, type TimeFeatures } from "../storage/time_columns.ts";
import { rowNumber, TimePolicy } from "./time_policy.ts";
import { rowValueText } from "../text.ts";

const ALL: TimeFeatures = { deferred: true, rowTimeout: true, retries: true, rowMaxAttempts: true };
const POLICIES = {
  base: { ...DEFAULT_JOB_POLICY, timeout: 60, maxAttempts: 3, retryDelay: 10 },
  targets: new Map([["mail", { ...DEFAULT_JOB_POLICY, timeout: 5, timeoutGrace: 2 }]]),
};
const FAILED: JobOutcome = { result: "fail", code: 1, signal: null, stdout: "", stderr: "" };
const FACTS = { manual: false, signalled: false, nowSeconds: 1_700_000_000 };

function job(target: string, row?: ClaimedJob["row"]): ClaimedJob {
  return { id: 42, target, origin: "waiting", row };
}

Deno.test("a job's time limit: the row's timeout over its target's section over the top level", () => {
  const time = new TimePolicy(POLICIES, ALL);
  assert.deepEqual(time.limitOf(job("build")), { seconds: 60, graceSeconds: 10 });
  assert.deepEqual(time.limitOf(job("mail")), { seconds: 5, graceSeconds: 2 });
  assert.deepEqual(time.limitOf(job("mail", { timeout: 30 })), { seconds: 30, graceSeconds: 2 });
  assert.equal(time.limitOf(job("build", { timeout: 0 })), undefined, "0 = no limit");
  assert.deepEqual(time.limitOf(job("build", { timeout: null })), {
    seconds: 60,
    graceSeconds: 10,
  });
  // Without the column the row has no say.
  const old = new TimePolicy(POLICIES, NO_TIME_FEATURES);
  assert.deepEqual(old.limitOf(job("build", { timeout: 0 })), { seconds: 60, graceSeconds: 10 });
});

Deno.test("bad row values are read as NULL: the config applies", () => {
  const time = new TimePolicy(POLICIES, ALL);
  for (const timeout of [-5, "abc", 1.5, "30"]) {
    assert.deepEqual(time.limitOf(job("build", { timeout })), { seconds: 60, graceSeconds: 10 });
  }
  assert.equal(rowNumber(42, "timeout", 7), 7);
  assert.equal(rowNumber(42, "timeout", -1), undefined);
  const decision = time.decide(job("build", { attempts: null, maxAttempts: -2 }), FAILED, FACTS);
  assert.deepEqual([decision.attempt, decision.maxAttempts], [1, 3]);
});

Deno.test("an attempts count that is no whole number ≥ 0 leaves no retry: counted on, it would never reach the limit", () => {
  const time = new TimePolicy(POLICIES, ALL);
  // Each start adds 1 to the column: 2.5 goes to 3.5, 4.5, ...; -1000 would take 1,000 starts.
  for (const attempts of [2.5, -1000, "x", Infinity]) {
    const decision = time.decide(job("build", { attempts }), FAILED, FACTS);
    assert.deepEqual([decision.attempt, decision.retryAt], [65_535, undefined], String(attempts));
  }
  assert.equal(rowNumber(42, "attempts", 2.5, 65_535, 65_535), 65_535);
});

Deno.test("a failed job with attempts left gets a retry time; the row's max_attempts counts", () => {
  const time = new TimePolicy(POLICIES, ALL);
  const first = time.decide(job("build", { attempts: 0, maxAttempts: null }), FAILED, FACTS);
  assert.equal(first.attempt, 1);
  assert.ok(first.retryAt! >= FACTS.nowSeconds + 8 && first.retryAt! <= FACTS.nowSeconds + 12);
  const last = time.decide(job("build", { attempts: 2, maxAttempts: null }), FAILED, FACTS);
  assert.equal(last.retryAt, undefined, "attempt 3 of 3");
  const own = time.decide(job("build", { attempts: 2, maxAttempts: 5 }), FAILED, FACTS);
  assert.ok(own.retryAt !== undefined, "the row allows 5");
  const manual = time.decide(job("build", { attempts: 0 }), FAILED, { ...FACTS, manual: true });
  assert.equal(manual.retryAt, undefined);
  // Without the retry columns nothing is retried, whatever the config says.
  const old = new TimePolicy(POLICIES, NO_TIME_FEATURES);
  assert.equal(old.decide(job("build"), FAILED, FACTS).retryAt, undefined);
});

Deno.test("row values over their bounds are read as the bound: a huge attempts count ends the retries", () => {
  const time = new TimePolicy(POLICIES, ALL);
  const decision = time.decide(
    job("build", { attempts: 1_000_000_000, maxAttempts: 1_000_000_000_000 }),
    FAILED,
    FACTS,
  );
  assert.deepEqual([decision.attempt, decision.maxAttempts, decision.retryAt], [
    65_535,
    65_535,
    undefined,
  ]);
  assert.equal(rowNumber(42, "attempts", 70_000n, 65_535), 65_535);
  assert.deepEqual(time.limitOf(job("build", { timeout: 2 ** 52 })), {
    seconds: 366 * 24 * 3600,
    graceSeconds: 10,
  });
});

Deno.test("a row value in a warning: a blob as hex, anything else cut to 40 characters", () => {
  assert.equal(rowValueText(new Uint8Array([0, 255])), "x'00ff'");
  assert.equal(rowValueText(new Uint8Array(20)), `x'${"00".repeat(16)}…'`);
  assert.equal(rowValueText("y".repeat(100)), "y".repeat(40));
  assert.equal(rowValueText(2.5), "2.5");
});
