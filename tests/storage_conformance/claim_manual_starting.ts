/**
 * The storage conformance suite, `claimManual` with `startNow`: the run-manual rows that start at
 * once go straight to `running` in the claim (time started, attempt counted, owner recorded), the
 * rest to `accepted`; and `release` from `marked`, which gives a marked row back with the attempt
 * its mark counted.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, finished, WORKER } from "./fixture.ts";

const STARTED = 1_700_000_000;

/** Registers the tests of run-manual claims that start jobs at once. */
export function claimManualStartingConformance(test: ConformanceTest): void {
  test(
    "a run-manual claim marks running the first startNow rows of each served target",
    { withWorkerColumn: true },
    async (f) => {
      const builds = await f.insert("build", 3, "manual");
      const deploys = await f.insert("deploy", 2, "manual");
      const [other] = await f.insert("other", 1, "manual");
      const claim = await f.store.claimManual(
        [other, ...deploys, ...builds],
        new Set(["build", "deploy"]),
        new Map([["build", 2], ["deploy", 1]]),
        STARTED,
      );
      assert.deepEqual(claim.claimed, [
        { id: builds[0], target: "build", origin: "manual", running: true, startedAt: STARTED },
        { id: builds[1], target: "build", origin: "manual", running: true, startedAt: STARTED },
        { id: builds[2], target: "build", origin: "manual" },
        { id: deploys[0], target: "deploy", origin: "manual", running: true, startedAt: STARTED },
        { id: deploys[1], target: "deploy", origin: "manual" },
      ]);
      assert.deepEqual(
        claim.errors,
        new Map([[other, `target 'other' not found (job id=${other})`]]),
      );
      const rows = await f.rows([...builds, ...deploys, other]);
      assert.deepEqual(rows.map((row) => [row.status, row.time_started, row.worker]), [
        ["running", STARTED, WORKER],
        ["running", STARTED, WORKER],
        ["accepted", 0, WORKER],
        ["running", STARTED, WORKER],
        ["accepted", 0, WORKER],
        ["ignored", 0, null],
      ]);
      assert.deepEqual(
        (await f.store.findLeftBehind()).filter((job) => job.status === "running"),
        [builds[0], builds[1], deploys[0]].map((id) => ({
          id,
          target: id === deploys[0] ? "deploy" : "build",
          status: "running",
          startedAt: STARTED,
        })),
      );
      // Running as if marked: no second mark, and its result goes in.
      assert.deepEqual(await f.store.markRunning([builds[0]], STARTED + 5), [builds[0]]);
      assert.deepEqual(await f.store.markDone([finished(builds[0])]), []);
      assert.equal((await f.rows([builds[0]]))[0].status, "done");
    },
  );

  test("a run-manual claim's running rows count an attempt; the job carries the count before it", {
    withTimeColumns: true,
  }, async (f) => {
    const [first, second] = await f.insert("build", 2, "manual");
    await f.setColumns([first], { attempts: 2 });
    const claim = await f.store.claimManual(
      [first, second],
      new Set(["build"]),
      new Map([["build", 1]]),
      STARTED,
    );
    assert.deepEqual(claim.claimed.map((job) => [job.id, job.running, job.row?.attempts]), [
      [first, true, 2],
      [second, undefined, 0],
    ]);
    assert.deepEqual(await f.readColumns([first, second], ["attempts"]), [
      { id: first, attempts: 3 },
      { id: second, attempts: 0 },
    ]);
    assert.deepEqual((await f.rows([first, second])).map((row) => row.status), [
      "running",
      "accepted",
    ]);
  });

  test(
    "a run-manual claim refuses startNow for a target not served, below 0, or without a time",
    {},
    async (f) => {
      const ids = await f.insert("build", 2, "manual");
      const served = new Set(["build"]);
      await assert.rejects(
        f.store.claimManual(ids, served, new Map([["deploy", 1]]), STARTED),
        /deploy/,
      );
      await assert.rejects(
        f.store.claimManual(ids, served, new Map([["build", -1]]), STARTED),
        /-1/,
      );
      await assert.rejects(
        f.store.claimManual(ids, served, new Map([["build", 1]]), -1),
        /start time/,
      );
      assert.deepEqual((await f.rows(ids)).map((row) => row.status), ["manual", "manual"]);
    },
  );

  test("release from marked gives running rows back with the attempt their mark counted", {
    withWorkerColumn: true,
    withTimeColumns: true,
  }, async (f) => {
    const [manual, queued] = await f.insert("build", 2, "manual");
    const [waiting] = await f.insert("build", 1);
    const { claimed } = await f.store.claimManual(
      [manual, queued],
      new Set(["build"]),
      new Map([["build", 1]]),
      STARTED,
    );
    const background = await f.store.claimWaiting(
      new Map([["build", 1]]),
      new Map([["build", 1]]),
      STARTED,
    );
    assert.deepEqual(await f.readColumns([manual, waiting], ["attempts"]), [
      { id: manual, attempts: 1 },
      { id: waiting, attempts: 1 },
    ]);

    // The accepted row is not `running`: left alone.
    assert.deepEqual(await f.store.release([...claimed, ...background], "marked"), [queued]);

    const rows = await f.rows([manual, queued, waiting]);
    assert.deepEqual(rows.map((row) => [row.status, row.worker]), [
      ["manual", null],
      ["accepted", WORKER],
      ["waiting", null],
    ]);
    assert.deepEqual(await f.readColumns([manual, waiting], ["attempts"]), [
      { id: manual, attempts: 0 },
      { id: waiting, attempts: 0 },
    ]);
    // Retried after a lost reply, it changes nothing more.
    assert.deepEqual(await f.store.release([claimed[0]], "marked"), [manual]);
    assert.deepEqual(await f.readColumns([manual], ["attempts"]), [{ id: manual, attempts: 0 }]);
  });

  test("release from marked works on a table without the attempts column", {}, async (f) => {
    const [id] = await f.insert("build", 1, "manual");
    const { claimed } = await f.store.claimManual(
      [id],
      new Set(["build"]),
      new Map([["build", 1]]),
      STARTED,
    );
    assert.equal((await f.rows([id]))[0].status, "running");
    assert.deepEqual(await f.store.release(claimed, "marked"), []);
    assert.equal((await f.rows([id]))[0].status, "manual");
  });
}
