/**
 * The storage conformance suite, `findLeftBehind`: the owner column, and the rows a worker left
 * behind.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, finished, WORKER } from "./fixture.ts";

/** Registers the `findLeftBehind` tests. */
export function findLeftBehindConformance(test: ConformanceTest): void {
  test("without an owner column nothing records owners or is found left behind", {}, async (f) => {
    assert.equal(f.store.tracksOwner, false);
    const [id] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));
    assert.equal((await f.rows([id]))[0].worker, null);
    assert.deepEqual(await f.store.findLeftBehind(), []);
  });

  test("claims record the owner, and findLeftBehind lists its accepted and running rows", {
    withWorkerColumn: true,
  }, async (f) => {
    assert.equal(f.store.tracksOwner, true);
    const [accepted, running, finishedId] = await f.insert("build", 3);
    const [manual] = await f.insert("deploy", 1, "manual");
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.claimManual([manual], new Set(["deploy"]));
    await f.store.markRunning([running], 1_700_000_000);
    await f.store.markRunning([finishedId], 1_700_000_000);
    await f.store.markDone([finished(finishedId)]);
    const peer = await f.openPeer("worker-b");
    const [theirs] = await f.insert("build", 1);
    await peer.claimWaiting(new Map([["build", 1]]));

    assert.deepEqual(
      (await f.rows([accepted, running, finishedId, manual, theirs])).map((row) => row.worker),
      [WORKER, WORKER, WORKER, WORKER, "worker-b"],
    );
    assert.deepEqual(await f.store.findLeftBehind(), [
      { id: accepted, target: "build", status: "accepted" },
      { id: running, target: "build", status: "running", startedAt: 1_700_000_000 },
      { id: manual, target: "deploy", status: "accepted" },
    ]);
    assert.deepEqual(await peer.findLeftBehind(), [
      { id: theirs, target: "build", status: "accepted" },
    ]);
  });

  test("rows left behind carry their attempts and limits", {
    withWorkerColumn: true,
    withTimeColumns: true,
  }, async (f) => {
    const [id] = await f.insert("build", 1);
    await f.setColumns([id], { max_attempts: 3 });
    await f.store.claimWaiting(new Map([["build", 1]]));
    await f.store.markRunning([id], 1_700_000_000);
    assert.deepEqual(await f.store.findLeftBehind(), [
      {
        id,
        target: "build",
        status: "running",
        startedAt: 1_700_000_000,
        row: { timeout: null, attempts: 1, maxAttempts: 3 },
      },
    ]);
  });
}
