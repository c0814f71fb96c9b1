/**
 * The storage conformance suite, `promoteDelayed`: due `delayed` rows of the
 * given targets become `waiting`, each once however many workers promote.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { JobStore } from "../../src/storage/job_store.ts";
import { type ConformanceTest, nowSeconds } from "./fixture.ts";

/** Registers the `promoteDelayed` tests. */
export function promoteDelayedConformance(test: ConformanceTest): void {
  test("promoteDelayed sets due delayed rows of the given targets waiting, up to the limit", {
    withTimeColumns: true,
  }, async (f) => {
    const due = await f.insert("build", 3, "delayed");
    await f.setColumns(due, { time_run_at: 1_700_000_000 });
    const future = await f.insert("build", 1, "delayed");
    await f.setColumns(future, { time_run_at: 1_700_000_100 });
    const other = await f.insert("deploy", 1, "delayed");
    await f.setColumns(other, { time_run_at: 1_700_000_000 });

    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 2);
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 1);
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 0);
    assert.deepEqual((await f.rows(due)).map((row) => row.status), [
      "waiting",
      "waiting",
      "waiting",
    ]);
    assert.equal((await f.rows(future))[0].status, "delayed");
    assert.equal((await f.rows(other))[0].status, "delayed");
    // Promoted rows are claimed like any waiting row.
    assert.deepEqual(
      (await f.store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id),
      due,
    );
    // At its time_run_at, a row is due.
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_100, 10), 1);
  });

  test("promoteDelayed takes the lowest ids first, whatever their times", {
    withTimeColumns: true,
  }, async (f) => {
    const ids = await f.insert("build", 4, "delayed");
    // Later ids are due earlier: the index on the times reads them first.
    for (const [index, id] of ids.entries()) {
      await f.setColumns([id], { time_run_at: 1_700_000_040 - 10 * index });
    }
    assert.equal(await f.store.promoteDelayed(["build"], 1_700_000_050, 2), 2);
    assert.deepEqual((await f.rows(ids)).map((row) => row.status), [
      "waiting",
      "waiting",
      "delayed",
      "delayed",
    ]);
  });

  test("two workers promoting at once promote each due row once", {
    withWorkerColumn: true,
    withTimeColumns: true,
  }, async (f) => {
    const due = await f.insert("build", 40, "delayed");
    await f.setColumns(due, { time_run_at: 1_700_000_000 });
    const peer = await f.openPeer("worker-b");
    const promote = async (store: JobStore) => {
      let total = 0;
      for (let n = -1; n !== 0; total += n) {
        n = await store.promoteDelayed(["build"], nowSeconds(), 7);
      }
      return total;
    };
    const [mine, theirs] = await Promise.all([promote(f.store), promote(peer)]);
    assert.equal(mine + theirs, due.length);
    assert.ok((await f.rows(due)).every((row) => row.status === "waiting"));
  });
}
