/**
 * The storage conformance suite, `markRunningAndDone`: a slot's result and the start of the job
 * after it in one call; each side guarded, and recognised again after a lost reply, as
 * `markRunning` and `markDone` are.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, finished, storageError } from "./fixture.ts";

/** Registers the `markRunningAndDone` tests. */
export function markRunningAndDoneConformance(test: ConformanceTest): void {
  test("markRunningAndDone starts accepted rows and ends running ones together", {}, async (f) => {
    const [ended, next, other] = await f.insert("build", 3);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.markRunning([ended], 1_700_000_000);

    assert.deepEqual(
      await f.store.markRunningAndDone([next, other], 1_700_000_050, [
        finished(ended, { result: "fail", code: 3, stdout: "out\n", stderr: "héllo ✓ 日本" }),
      ]),
      { notAccepted: [], notRunning: [] },
    );
    const rows = await f.rows([ended, next, other]);
    assert.deepEqual(rows.map((row) => row.status), ["done", "running", "running"]);
    const [end, start] = rows;
    assert.deepEqual(
      [end.time_started, end.time_finished, end.result, end.return_code, end.sig],
      [1_700_000_000, 1_700_000_100, "fail", 3, null],
      "the ended row keeps its start",
    );
    assert.deepEqual([end.stdout, end.stderr], ["out\n", "héllo ✓ 日本"]);
    assert.deepEqual(
      [start.time_started, start.time_finished, start.result, start.return_code, start.stdout],
      [1_700_000_050, 0, null, null, null],
      "the started row gets no end",
    );
  });

  test("markRunningAndDone reports rows in another status and leaves them", {}, async (f) => {
    const [running, accepted] = await f.insert("build", 2);
    const [waiting] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([running], 1_700_000_000);
    const before = await f.rows([accepted, waiting]);

    assert.deepEqual(
      await f.store.markRunningAndDone([waiting], 1_700_000_050, [finished(accepted)]),
      { notAccepted: [waiting], notRunning: [accepted] },
    );
    assert.deepEqual(await f.rows([accepted, waiting]), before);

    // One side refused, the other done.
    assert.deepEqual(
      await f.store.markRunningAndDone([accepted], 1_700_000_050, [finished(waiting)]),
      { notAccepted: [], notRunning: [waiting] },
    );
    assert.equal((await f.rows([accepted]))[0].status, "running");
    assert.equal((await f.rows([running]))[0].status, "running");
  });

  for (const withWorkerColumn of [false, true]) {
    test(
      "markRunningAndDone repeated after a lost reply counts its rows as changed " +
        `(${withWorkerColumn ? "with" : "without"} the worker column)`,
      { withWorkerColumn },
      async (f) => {
        const [ended, next] = await f.insert("build", 2);
        await f.store.claimWaiting(new Map([["build", 2]]));
        await f.store.markRunning([ended], 1_700_000_000);
        const ends = [finished(ended, { signal: "SIGTERM", code: null })];

        const nothingLeft = { notAccepted: [], notRunning: [] };
        assert.deepEqual(
          await f.store.markRunningAndDone([next], 1_700_000_050, ends),
          nothingLeft,
        );
        assert.deepEqual(
          await f.store.markRunningAndDone([next], 1_700_000_050, ends),
          nothingLeft,
          "same call again",
        );
        assert.deepEqual(
          await f.store.markRunningAndDone([next], 1_700_000_051, [finished(ended, { code: 1 })]),
          { notAccepted: [next], notRunning: [ended] },
          "another call",
        );
      },
    );
  }

  test("markRunningAndDone leaves another worker's rows alone", {
    withWorkerColumn: true,
  }, async (f) => {
    const [ended, next] = await f.insert("build", 2);
    const peer = await f.openPeer("worker-b");
    await peer.claimWaiting(new Map([["build", 2]]));
    await peer.markRunning([ended], 1_700_000_000);
    const before = await f.rows([ended, next]);
    assert.deepEqual(
      await f.store.markRunningAndDone([next], 1_700_000_050, [finished(ended)]),
      { notAccepted: [next], notRunning: [ended] },
    );
    assert.deepEqual(await f.rows([ended, next]), before);
  });

  test("markRunningAndDone stores long output too", {}, async (f) => {
    const [first, second, next] = await f.insert("build", 3);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.markRunning([first, second], 1_700_000_000);
    const long = "x".repeat(100_000);
    assert.deepEqual(
      await f.store.markRunningAndDone([next], 1_700_000_050, [
        finished(first, { stdout: long }),
        finished(second, { stderr: "short" }),
      ]),
      { notAccepted: [], notRunning: [] },
    );
    const rows = await f.rows([first, second, next]);
    assert.deepEqual(rows.map((row) => row.status), ["done", "done", "running"]);
    assert.equal(rows[0].stdout, long);
    assert.equal(rows[1].stderr, "short");
  });

  test("a start joined with a result counts its attempt", { withTimeColumns: true }, async (f) => {
    const [ended, next] = await f.insert("build", 2);
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([ended], 1_700_000_000);
    await f.store.markRunningAndDone([next], 1_700_000_050, [finished(ended)]);
    // The same call again after a lost reply counts nothing more.
    await f.store.markRunningAndDone([next], 1_700_000_050, [finished(ended)]);
    assert.deepEqual(await f.readColumns([ended, next], ["attempts"]), [
      { id: ended, attempts: 1 },
      { id: next, attempts: 1 },
    ]);
  });

  test("markRunningAndDone refuses a job to be retried", { withTimeColumns: true }, async (f) => {
    const [ended, next] = await f.insert("build", 2);
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([ended], 1_700_000_000);
    const error = await storageError(
      f.store.markRunningAndDone([next], 1_700_000_050, [
        { ...finished(ended), retryAt: 1_700_000_500 },
      ]),
    );
    assert.match(error.message, new RegExp(`mark job ${next} running and job ${ended} done`));
    assert.match(error.message, /job \d+ is to be retried/);
    assert.deepEqual((await f.rows([ended, next])).map((row) => row.status), [
      "running",
      "accepted",
    ]);
  });
}
