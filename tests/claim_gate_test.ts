/**
 * `ClaimGate` on a real SQLite store: claims wait for start-up recovery, and
 * while the lock on the worker's name is not held nothing is claimed or
 * started; the polls held back are known for when the lock is back.
 */

import assert from "node:assert/strict";
import { isTransientStorageError } from "../src/storage/errors.ts";
import { openSqliteStore } from "../src/storage/sqlite_store.ts";
import { ClaimGate } from "../src/worker/claim_gate.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

Deno.test("claim gate: claims wait until it opens (start-up recovery done)", async () => {
  await using db = await openTestSqliteDatabase();
  const [id] = await db.insertJobs("t1", 1);
  await using raw = await openSqliteStore(db.storeOptions("w"));
  const gate = new ClaimGate({ name: "w", held: true });
  const store = gate.guard(raw);
  let claimed: number[] | undefined;
  const claim = store.claimWaiting(new Map([["t1", 1]])).then((jobs) => {
    claimed = jobs.map((job) => job.id);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(claimed, undefined, "no claim before the gate opens");
  assert.equal((await db.rows([id]))[0].status, "waiting");
  gate.open();
  await claim;
  assert.deepEqual(claimed, [id]);
});

Deno.test("claim gate: without the name lock nothing is claimed or started, and the polls are kept", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const [waiting] = await db.insertJobs("t1", 1);
  const [manual] = await db.insertJobs("t1", 1, "manual");
  await using raw = await openSqliteStore(db.storeOptions("w"));
  const lock = { name: "w", held: true };
  const gate = new ClaimGate(lock);
  gate.open();
  const store = gate.guard(raw);
  const [accepted] = await store.claimWaiting(new Map([["t1", 1]]));
  assert.equal(accepted.id, waiting);

  lock.held = false;
  const [later] = await db.insertJobs("t2", 1);
  assert.deepEqual(await store.claimWaiting(new Map([["t2", 1]])), []);
  await assert.rejects(store.claimManual([manual], new Set(["t1"])), isTransientStorageError);
  await assert.rejects(store.markRunning([waiting], 1), isTransientStorageError);
  await assert.rejects(store.findLeftBehind(), /the lock on the worker name 'w' was lost/);
  assert.deepEqual(
    (await db.rows([waiting, manual, later])).map((row) => row.status),
    ["accepted", "manual", "waiting"],
  );
  assert.deepEqual(gate.takeHeldBack(), ["t2"]);
  assert.deepEqual(gate.takeHeldBack(), [], "taken once");

  lock.held = true;
  assert.deepEqual(await store.markRunning([waiting], 1), []);
  assert.equal((await store.claimWaiting(new Map([["t2", 1]])))[0].id, later);
});
