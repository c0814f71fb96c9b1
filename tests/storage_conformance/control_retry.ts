/**
 * The storage conformance suite, the operators' `retry` (retryJobs: final rows back to waiting).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ControlConformanceTest, controlOf, finish, now } from "./control_fixture.ts";

/** Registers the `retry` tests of `store.control`. */
export function controlRetryConformance(test: ControlConformanceTest): void {
  test(
    "retry puts final rows back to waiting, cleared, and refuses the others per id",
    {},
    async (f) => {
      const control = controlOf(f.store);
      await f.insert("build", 2);
      const done = await finish(f.store, "build", [
        { result: "fail", finishedAt: now() },
        { result: "ok", finishedAt: now() },
      ]);
      await f.query(`UPDATE ${f.table} SET attempts = 3`);
      const [waiting] = await f.insert("build", 1);
      const [running] = await f.insert("deploy", 1, "running");
      const [ignored] = await f.insert("deploy", 1, "ignored");
      const missing = ignored + 100;
      const outcome = await control.retryJobs([...done, waiting, running, ignored, missing]);
      assert.deepEqual(outcome.retried, [
        { id: done[0], target: "build" },
        { id: done[1], target: "build" },
        { id: ignored, target: "deploy" },
      ]);
      assert.deepEqual(
        outcome.errors,
        new Map([
          [waiting, "status = waiting is not final (done or ignored)"],
          [running, "status = running is not final (done or ignored)"],
          [missing, `job ${missing} not found`],
        ]),
      );
      const rows = await f.query(
        `SELECT id, status, result, return_code, stdout, stderr, time_started, time_finished,
              worker, attempts FROM ${f.table} WHERE id IN (?, ?)`,
        ...done,
      );
      for (const row of rows) {
        assert.deepEqual(
          [row.status, row.result, row.return_code, row.stdout, row.stderr, row.worker],
          ["waiting", null, null, null, null, null],
        );
        assert.deepEqual(
          [Number(row.time_started), Number(row.time_finished), Number(row.attempts)],
          [0, 0, 0],
        );
      }
      const [runningRow] = await f.query(`SELECT status FROM ${f.table} WHERE id = ?`, running);
      assert.equal(runningRow.status, "running");
      // Retried rows are claimed again like new ones.
      const claimed = await f.store.claimWaiting(new Map([["build", 10]]));
      assert.deepEqual(claimed.map((job) => job.id), [...done, waiting]);
    },
  );
}
