/**
 * The storage conformance suite, `markDone` with `retryAt` (the stores'
 * `markRetry`): a failed attempt with attempts left goes back to `delayed`,
 * keeping that attempt's result, and runs again once due.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { FinishedJob } from "../../src/storage/job_store.ts";
import { type ConformanceTest, failedAttempt } from "./fixture.ts";

/** Registers the tests of `markDone` with `retryAt`. */
export function markRetryConformance(test: ConformanceTest): void {
  test("markDone with retryAt keeps the attempt's result and sets the row delayed", {
    withWorkerColumn: true,
    withTimeColumns: true,
  }, async (f) => {
    const [retried, done] = await f.insert("build", 2);
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([retried, done], 1_700_000_000);
    const finished: FinishedJob = {
      id: done,
      finishedAt: 1_700_000_200,
      outcome: { result: "ok", code: 0, signal: null, stdout: "", stderr: "" },
    };
    const attempt = failedAttempt(retried, 1_700_000_260);
    assert.deepEqual(await f.store.markDone([attempt, finished]), []);
    const [row] = await f.rows([retried]);
    assert.deepEqual(
      [row.status, row.result, row.return_code, row.sig, row.stdout, row.stderr, row.time_finished],
      ["delayed", "fail", 75, null, "out 1", "err 1", 1_700_000_200],
    );
    assert.deepEqual(await f.readColumns([retried], ["time_run_at", "attempts"]), [
      { id: retried, time_run_at: 1_700_000_260, attempts: 1 },
    ]);
    assert.equal((await f.rows([done]))[0].status, "done");
    // The same write again (its reply lost) counts as written; another row is untouched.
    assert.deepEqual(await f.store.markDone([attempt]), []);
    const [waiting] = await f.insert("build", 1);
    assert.deepEqual(await f.store.markDone([failedAttempt(waiting, 1_700_000_260)]), [waiting]);
    assert.equal((await f.rows([waiting]))[0].status, "waiting");
    // Due, the row is promoted, claimed and started again: its second attempt.
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_260, 10), 1);
    await f.store.claimWaiting(new Map([["build", 5]]));
    await f.store.markRunning([retried], 1_700_000_270);
    assert.deepEqual(await f.readColumns([retried], ["attempts"]), [
      { id: retried, attempts: 2 },
    ]);
  });

  test("markRunning counts attempts up to 65,535, the column's limit, and no further", {
    withTimeColumns: true,
  }, async (f) => {
    const [full, almost] = await f.insert("build", 2);
    await f.setColumns([full], { attempts: 65_535 });
    await f.setColumns([almost], { attempts: 65_534 });
    await f.store.claimWaiting(new Map([["build", 2]]));
    assert.deepEqual(await f.store.markRunning([full, almost], 1_700_000_000), []);
    assert.deepEqual((await f.rows([full, almost])).map((row) => row.status), [
      "running",
      "running",
    ]);
    assert.deepEqual(await f.readColumns([full, almost], ["attempts"]), [
      { id: full, attempts: 65_535 },
      { id: almost, attempts: 65_535 },
    ]);
  });
}
