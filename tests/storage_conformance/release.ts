/**
 * The storage conformance suite, `release`: rows go back to the status they were claimed from, only
 * this worker's.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ClaimedJob } from "../../src/job.ts";
import { type ConformanceTest, finished } from "./fixture.ts";

/** Registers the `release` tests. */
export function releaseConformance(test: ConformanceTest): void {
  test("release gives accepted rows back to the status they were claimed from", {}, async (f) => {
    const [waiting, started] = await f.insert("build", 2);
    const [manual] = await f.insert("build", 1, "manual");
    const claimed: ClaimedJob[] = [
      ...await f.store.claimWaiting(new Map([["build", 2]])),
      ...(await f.store.claimManual([manual], new Set(["build"]))).claimed,
    ];
    await f.store.markRunning([started], 1_700_000_000);

    const notReleased = await f.store.release(claimed);

    assert.deepEqual(notReleased, [started]);
    assert.deepEqual(
      (await f.rows([waiting, started, manual])).map((row) => row.status),
      ["waiting", "running", "manual"],
    );
    assert.deepEqual((await f.store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id), [
      waiting,
    ]);
  });

  test("release from running gives running rows back (recover_running = requeue)", {
    withWorkerColumn: true,
  }, async (f) => {
    const [running, accepted] = await f.insert("build", 2);
    const claimed = await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([running], 1_700_000_000);

    assert.deepEqual(await f.store.release(claimed, "running"), [accepted]);

    const rows = await f.rows([running, accepted]);
    assert.deepEqual(rows.map((row) => [row.status, row.worker]), [
      ["waiting", null],
      ["accepted", rows[1].worker],
    ]);
    assert.notEqual(rows[1].worker, null, "the accepted row keeps its owner");
  });

  test("a release of marked rows gives back the attempt their start counted; recovery's keeps it", {
    withWorkerColumn: true,
    withTimeColumns: true,
  }, async (f) => {
    const [neverStarted, mayHaveRun] = await f.insert("build", 2);
    const claimed = await f.store.claimWaiting(new Map([["build", 2]]));
    assert.deepEqual(await f.store.markRunning([neverStarted, mayHaveRun], 1_700_000_000), []);
    const [first, second] = claimed;

    assert.deepEqual(await f.store.release([first], "marked"), []);
    assert.deepEqual(await f.store.release([second], "running"), []);

    assert.deepEqual(await f.readColumns([neverStarted, mayHaveRun], ["attempts"]), [
      { id: neverStarted, attempts: 0 },
      { id: mayHaveRun, attempts: 1 },
    ]);
    assert.deepEqual((await f.rows([neverStarted])).map((row) => row.status), ["waiting"]);
    // A marked release of a row no longer running changes nothing.
    assert.deepEqual(await f.store.release([first], "marked"), [neverStarted]);
    assert.deepEqual(await f.readColumns([neverStarted], ["attempts"]), [
      { id: neverStarted, attempts: 0 },
    ]);
  });

  test("a marked release leaves a count at 65,535, the column's limit, where it is", {
    withTimeColumns: true,
  }, async (f) => {
    const [full, below] = await f.insert("build", 2);
    await f.setColumns([full], { attempts: 65_535 });
    await f.setColumns([below], { attempts: 65_533 });
    const claimed = await f.store.claimWaiting(
      new Map([["build", 2]]),
      new Map([["build", 2]]),
      1_700_000_000,
    );
    assert.deepEqual(await f.readColumns([full, below], ["attempts"]), [
      { id: full, attempts: 65_535 },
      { id: below, attempts: 65_534 },
    ]);

    assert.deepEqual(await f.store.release(claimed, "marked"), []);

    // At the limit the start was not counted, so there is nothing to give back.
    assert.deepEqual(await f.readColumns([full, below], ["attempts"]), [
      { id: full, attempts: 65_535 },
      { id: below, attempts: 65_533 },
    ]);
    assert.deepEqual((await f.rows([full, below])).map((row) => row.status), [
      "waiting",
      "waiting",
    ]);
  });

  test("a marked release tried again after another worker marked the row leaves it alone", {
    withWorkerColumn: false,
  }, async (f) => {
    const [id] = await f.insert("build", 1);
    const [job] = await f.store.claimWaiting(
      new Map([["build", 1]]),
      new Map([["build", 1]]),
      1_700_000_000,
    );
    assert.equal(job.startedAt, 1_700_000_000);
    // The release committed, its reply was lost; another worker's claim marked the row.
    assert.deepEqual(await f.store.release([job], "marked"), []);
    const peer = await f.openPeer("worker-b");
    await peer.claimWaiting(new Map([["build", 1]]), new Map([["build", 1]]), 1_700_000_005);

    assert.deepEqual(await f.store.release([job], "marked"), [id], "the release tried again");
    const [row] = await f.rows([id]);
    assert.deepEqual([row.status, row.time_started], ["running", 1_700_000_005]);
  });

  test("release clears the owner", { withWorkerColumn: true }, async (f) => {
    const [id] = await f.insert("build", 1);
    const claimed = await f.store.claimWaiting(new Map([["build", 1]]));
    assert.deepEqual(await f.store.release(claimed), []);
    assert.equal((await f.rows([id]))[0].worker, null);
    assert.deepEqual(await f.store.findLeftBehind(), []);
  });

  test(
    "a release, start or end retried after another worker claimed the row leaves the row alone",
    { withWorkerColumn: true },
    async (f) => {
      const [id] = await f.insert("build", 1);
      const job: ClaimedJob = { id, target: "build", origin: "waiting" };
      await f.store.claimWaiting(new Map([["build", 1]]));
      // Our release committed but its reply was lost; another worker claimed the row meanwhile.
      assert.deepEqual(await f.store.release([job]), []);
      const peer = await f.openPeer("worker-b");
      assert.deepEqual((await peer.claimWaiting(new Map([["build", 1]]))).map((j) => j.id), [id]);
      assert.deepEqual(await f.store.release([job]), [id], "release retried");
      assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), [id], "start");
      assert.deepEqual(await peer.markRunning([id], 1_700_000_001), []);
      assert.deepEqual(await f.store.markDone([finished(id)]), [id], "end");
      const [row] = await f.rows([id]);
      assert.equal(row.status, "running");
      assert.equal(row.time_started, 1_700_000_001);
      assert.equal(row.worker, "worker-b");
    },
  );
}
