/**
 * The storage conformance suite, `claimWaiting` with `startNow`: the rows that start at once go
 * straight to `running` in the claim (time started, attempt counted, owner recorded), the rest to
 * `accepted`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, finished, WORKER } from "./fixture.ts";

const STARTED = 1_700_000_000;

/** Registers the tests of claims that start jobs at once. */
export function claimStartingConformance(test: ConformanceTest): void {
  test("a claim marks the first startNow rows running and accepts the rest", {}, async (f) => {
    const ids = await f.insert("build", 4);
    const claimed = await f.store.claimWaiting(
      new Map([["build", 3]]),
      new Map([["build", 2]]),
      STARTED,
    );
    assert.deepEqual(claimed, [
      { id: ids[0], target: "build", origin: "waiting", running: true, startedAt: STARTED },
      { id: ids[1], target: "build", origin: "waiting", running: true, startedAt: STARTED },
      { id: ids[2], target: "build", origin: "waiting" },
    ]);
    const rows = await f.rows(ids);
    assert.deepEqual(rows.map((row) => row.status), ["running", "running", "accepted", "waiting"]);
    assert.deepEqual(rows.map((row) => row.time_started), [STARTED, STARTED, 0, 0]);
    assert.deepEqual(rows.map((row) => row.worker), [null, null, null, null]);
  });

  test("a claim's running rows record the owner, are found left behind and take a result", {
    withWorkerColumn: true,
  }, async (f) => {
    const [started, accepted] = await f.insert("build", 2);
    await f.store.claimWaiting(new Map([["build", 2]]), new Map([["build", 1]]), STARTED);
    const rows = await f.rows([started, accepted]);
    assert.deepEqual(rows.map((row) => [row.status, row.worker]), [
      ["running", WORKER],
      ["accepted", WORKER],
    ]);
    assert.deepEqual(await f.store.findLeftBehind(), [
      { id: started, target: "build", status: "running", startedAt: STARTED },
      { id: accepted, target: "build", status: "accepted" },
    ]);
    // It is running as if marked: no second mark, and its result goes in.
    assert.deepEqual(await f.store.markRunning([started], STARTED + 5), [started]);
    assert.deepEqual(await f.store.markDone([finished(started)]), []);
    assert.equal((await f.rows([started]))[0].status, "done");
  });

  test("a claim's running rows count an attempt; the job carries the count before it", {
    withTimeColumns: true,
  }, async (f) => {
    const [first, second, third] = await f.insert("build", 3);
    await f.setColumns([first], { attempts: 2, max_attempts: 5 });
    const claimed = await f.store.claimWaiting(
      new Map([["build", 3]]),
      new Map([["build", 2]]),
      STARTED,
    );
    assert.deepEqual(claimed.map((job) => [job.id, job.running, job.row?.attempts]), [
      [first, true, 2],
      [second, true, 0],
      [third, undefined, 0],
    ]);
    assert.deepEqual(await f.readColumns([first, second, third], ["attempts"]), [
      { id: first, attempts: 3 },
      { id: second, attempts: 1 },
      { id: third, attempts: 0 },
    ]);
  });

  test("each target starts its own share of a claim for several targets", {}, async (f) => {
    const builds = await f.insert("build", 3);
    const deploys = await f.insert("deploy", 2);
    const claimed = await f.store.claimWaiting(
      new Map([["deploy", 2], ["build", 3]]),
      new Map([["build", 1]]),
      STARTED,
    );
    assert.deepEqual(claimed.map((job) => [job.id, job.running === true]), [
      [deploys[0], false],
      [deploys[1], false],
      [builds[0], true],
      [builds[1], false],
      [builds[2], false],
    ]);
    const rows = await f.rows([...builds, ...deploys]);
    assert.deepEqual(rows.map((row) => row.status), [
      "running",
      "accepted",
      "accepted",
      "accepted",
      "accepted",
    ]);
  });

  test("a claim that finds fewer rows than startNow marks those it finds", {}, async (f) => {
    const [id] = await f.insert("build", 1);
    const claimed = await f.store.claimWaiting(
      new Map([["build", 4]]),
      new Map([["build", 4]]),
      STARTED,
    );
    assert.deepEqual(claimed, [{
      id,
      target: "build",
      origin: "waiting",
      running: true,
      startedAt: STARTED,
    }]);
    assert.deepEqual(
      await f.store.claimWaiting(new Map([["build", 4]]), new Map([["build", 4]])),
      [],
    );
  });

  test(
    "a claim refuses startNow over a limit, for a target without one, or without a time",
    {},
    async (f) => {
      await f.insert("build", 2);
      const limits = new Map([["build", 2]]);
      await assert.rejects(f.store.claimWaiting(limits, new Map([["build", 3]]), STARTED), /limit/);
      await assert.rejects(
        f.store.claimWaiting(limits, new Map([["deploy", 1]]), STARTED),
        /deploy/,
      );
      await assert.rejects(f.store.claimWaiting(limits, new Map([["build", 1]]), -1), /start time/);
      assert.deepEqual((await f.rows()).map((row) => row.status), ["waiting", "waiting"]);
    },
  );
}
