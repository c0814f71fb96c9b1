/**
 * DeferredJobs (src/worker/deferred.ts) on a real store: what a look
 * promotes and counts, and the one timer that wakes the worker when the
 * earliest delayed row is due.
 */

import assert from "node:assert/strict";
import { openSqliteStore } from "../src/storage/sqlite_store.ts";
import { DeferredJobs, MAX_WAIT_MS } from "../src/worker/deferred.ts";
import { waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

function now(): number {
  return Math.floor(Date.now() / 1000);
}

Deno.test("a look promotes due delayed rows, counts the rest, and the timer polls when the next is due", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const [due, soon, later, other] = await db.insertJobs("t1", 4, "delayed");
  await db.setColumns([due], { time_run_at: now() - 10 });
  const soonAt = now() + 1;
  await db.setColumns([soon], { time_run_at: soonAt });
  await db.setColumns([later], { time_run_at: now() + 3600 });
  await db.setColumns([other], { target: "t2", time_run_at: now() - 10 });

  const polls: { targets: string[]; at: number }[] = [];
  const deferred = new DeferredJobs(store, (targets) => polls.push({ targets, at: Date.now() }));
  try {
    assert.equal(deferred.enabled, true);
    deferred.want(["t1", "t2"]);
    // t2 is not served: left alone.
    await deferred.look(new Set(["t1"]));
    assert.deepEqual((await db.rows([due, soon, later, other])).map((row) => row.status), [
      "waiting",
      "delayed",
      "delayed",
      "delayed",
    ]);
    assert.equal(deferred.countOf("t1"), 2);
    assert.equal(deferred.countOf("t2"), 0);

    // Nothing polls until the next row is due; then one poll of its target.
    const deadline = Date.now() + 5000;
    while (polls.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(polls.length, 1, "one poll when the row is due");
    assert.deepEqual(polls[0].targets, ["t1"]);
    assert.ok(polls[0].at >= soonAt * 1000, "not before its time_run_at");
    assert.ok(polls[0].at < soonAt * 1000 + 2000, "soon after it (the feature promises 1 s)");

    // A retry stored by the worker counts at once and re-arms the timer.
    deferred.noteDelayed("t1", now() + 7200);
    assert.equal(deferred.countOf("t1"), 3);
  } finally {
    deferred.stop();
  }
});

Deno.test("without the time columns, DeferredJobs does nothing", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: false });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const deferred = new DeferredJobs(store, () => assert.fail("no poll expected"));
  assert.equal(deferred.enabled, false);
  deferred.want(["t1"]);
  await deferred.look(new Set(["t1"]));
  assert.equal(deferred.countOf("t1"), 0);
  deferred.stop();
});

Deno.test("a watch counts without promoting, and the timer polls only the targets whose rows are due", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const [due, later] = await db.insertJobs("t1", 2, "delayed");
  await db.setColumns([due], { time_run_at: now() - 10 });
  await db.setColumns([later], { target: "t2", time_run_at: now() + 3600 });

  const polls: string[][] = [];
  const deferred = new DeferredJobs(store, (targets) => polls.push(targets));
  try {
    deferred.watch(["t1", "t2"]);
    await deferred.look(new Set(["t1", "t2"]));
    // Nothing claims after a watch: a promoted row would wait as 'waiting' for a poll.
    assert.deepEqual((await db.rows([due, later])).map((row) => row.status), [
      "delayed",
      "delayed",
    ]);
    assert.deepEqual([deferred.countOf("t1"), deferred.countOf("t2")], [1, 1]);
    const deadline = Date.now() + 5000;
    while (polls.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(polls, [["t1"]]);
    // The poll's look promotes (a watch never turns a wanted target into a count only).
    deferred.want(["t1"]);
    deferred.watch(["t1"]);
    await deferred.look(new Set(["t1", "t2"]));
    assert.equal((await db.rows([due]))[0].status, "waiting");
  } finally {
    deferred.stop();
  }
});

Deno.test("the timer reads the clock again every minute at least, so a clock step ahead delays a due row by no more", async () => {
  // Timers run on the monotonic clock: a wall clock stepped ahead (or a host suspended for a
  // while) is noticed at the timer's next look, never more than a minute away, even with
  // poll_interval = 0.
  assert.ok(MAX_WAIT_MS <= 60_000, `the timer waits at most a minute, not ${MAX_WAIT_MS} ms`);
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  let clock = Date.now();
  const [inAnHour] = await db.insertJobs("t1", 1, "delayed");
  await db.setColumns([inAnHour], { time_run_at: Math.floor(clock / 1000) + 3600 });
  const polls: string[][] = [];
  const deferred = new DeferredJobs(store, (targets) => polls.push(targets), {
    now: () => clock,
    maxWaitMs: 50,
  });
  try {
    deferred.want(["t1"]);
    await deferred.look(new Set(["t1"]));
    assert.equal(deferred.countOf("t1"), 1);
    // The wall clock steps two hours ahead; nothing but the timer looks at it.
    clock += 2 * 3600 * 1000;
    await waitFor("the poll of the due row's target", () => polls.length > 0);
    assert.deepEqual(polls, [["t1"]]);
  } finally {
    deferred.stop();
  }
});
