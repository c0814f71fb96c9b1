import assert from "node:assert/strict";
import type { JobOutcome } from "../job.ts";
import { retryDelaySeconds, type RetrySettings, whyNoRetry } from "./job_retry.ts";

const SETTINGS: RetrySettings = {
  maxAttempts: 3,
  retryDelay: 10,
  retryDelayMax: 3600,
  retryExitCodes: undefined,
};
const FIRST = { attempt: 1, maxAttempts: 3, manual: false, signalled: false };

function ended(code: number | null, signal: string | null = null): JobOutcome {
  return { result: code === 0 ? "ok" : "fail", code, signal, stdout: "", stderr: "" };
}

Deno.test("a failed background attempt with attempts left is retried, whatever the failure", () => {
  assert.equal(whyNoRetry(ended(1), FIRST, SETTINGS), undefined);
  assert.equal(whyNoRetry(ended(null, "SIGKILL"), FIRST, SETTINGS), undefined);
  assert.equal(
    whyNoRetry(ended(null), FIRST, SETTINGS),
    undefined,
    "a launcher that did not start",
  );
  assert.equal(whyNoRetry(ended(1), { ...FIRST, attempt: 2 }, SETTINGS), undefined);
});

Deno.test("success, the last attempt, run-manual and send-signal end the job", () => {
  assert.equal(whyNoRetry(ended(0), FIRST, SETTINGS), "it succeeded");
  assert.equal(
    whyNoRetry(ended(1), { ...FIRST, attempt: 3 }, SETTINGS),
    "that was attempt 3 of 3",
  );
  assert.equal(
    whyNoRetry(ended(1), { ...FIRST, manual: true }, SETTINGS),
    "run-manual jobs are not retried",
  );
  assert.equal(
    whyNoRetry(ended(null, "SIGTERM"), { ...FIRST, signalled: true }, SETTINGS),
    "it was stopped by send-signal",
  );
  assert.equal(
    whyNoRetry(ended(1), { ...FIRST, maxAttempts: 1 }, SETTINGS),
    "that was attempt 1 of 1",
  );
});

Deno.test("retry_exit_codes limits retries to those exit codes", () => {
  const settings = { ...SETTINGS, retryExitCodes: [75, 111] };
  assert.equal(whyNoRetry(ended(75), FIRST, settings), undefined);
  assert.equal(whyNoRetry(ended(2), FIRST, settings), "its exit code 2 is not in retry_exit_codes");
  assert.equal(
    whyNoRetry(ended(null, "SIGKILL"), FIRST, settings),
    "its exit code (none) is not in retry_exit_codes",
  );
});

Deno.test("the delay doubles with each attempt up to retry_delay_max, varied by at most 20 %", () => {
  const middle = () => 0.5;
  assert.deepEqual(
    [1, 2, 3, 4, 10].map((attempt) => retryDelaySeconds(attempt, SETTINGS, middle)),
    [10, 20, 40, 80, 3600],
  );
  assert.equal(retryDelaySeconds(1, SETTINGS, () => 0), 8);
  assert.equal(retryDelaySeconds(1, SETTINGS, () => 0.999999), 12);
  assert.equal(retryDelaySeconds(1000, SETTINGS, () => 0.5), 3600, "no overflow");
  assert.equal(retryDelaySeconds(1, { retryDelay: 0, retryDelayMax: 60 }), 0);
  // 2^(attempt − 1) is Infinity past attempt 1024, and 0 · Infinity no number.
  assert.equal(retryDelaySeconds(65_535, { retryDelay: 0, retryDelayMax: 60 }), 0);
  assert.equal(retryDelaySeconds(65_535, SETTINGS, () => 0.5), 3600);
  // retry_delay_max is the longest delay: the variation does not take it over.
  assert.equal(retryDelaySeconds(10, SETTINGS, () => 0.999999), 3600);
  assert.equal(retryDelaySeconds(10, SETTINGS, () => 0), 2880);
});
