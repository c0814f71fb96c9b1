/**
 * The storage conformance suite, `markRunning`: accepted rows start; any other row is reported and
 * left alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ConformanceTest } from "./fixture.ts";

/** Registers the `markRunning` tests. */
export function markRunningConformance(test: ConformanceTest): void {
  test("markRunning starts an accepted row and refuses any other", {}, async (f) => {
    const [id] = await f.insert("build", 1);
    const [waiting] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));

    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    const [row] = await f.rows([id]);
    assert.equal(row.status, "running");
    assert.equal(row.time_started, 1_700_000_000);

    assert.deepEqual(await f.store.markRunning([id], 1_700_000_050), [id], "already running");
    assert.equal((await f.rows([id]))[0].time_started, 1_700_000_000);
    const before = await f.rows([waiting]);
    assert.deepEqual(
      await f.store.markRunning([waiting], 1_700_000_050),
      [waiting],
      "not accepted",
    );
    assert.deepEqual(await f.rows([waiting]), before);
  });

  test("markRunning starts the accepted rows of a batch and reports the others", {}, async (f) => {
    const ids = await f.insert("build", 3);
    const [waiting] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.release([{ id: ids[1], target: "build", origin: "waiting" }]);

    assert.deepEqual(await f.store.markRunning([...ids, waiting], 1_700_000_000), [
      ids[1],
      waiting,
    ]);
    const rows = await f.rows([...ids, waiting]);
    assert.deepEqual(rows.map((row) => row.status), ["running", "waiting", "running", "waiting"]);
    assert.deepEqual([rows[0].time_started, rows[2].time_started], [1_700_000_000, 1_700_000_000]);
  });

  test("each start counts an attempt", { withTimeColumns: true }, async (f) => {
    const [id] = await f.insert("build", 1);
    await f.store.claimWaiting(new Map([["build", 1]]));
    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    // The same call again after a lost reply counts nothing more.
    assert.deepEqual(await f.store.markRunning([id], 1_700_000_000), []);
    assert.deepEqual(await f.readColumns([id], ["attempts"]), [{ id, attempts: 1 }]);
  });
}
