/**
 * Two workers whose boards give one schedule name different rules: the
 * row follows the board loaded last, and the other worker leaves it alone
 * (no reset at each slot, which made the two reset the row in turn) until
 * its own board is loaded again. Two schedulers on one SQLite file, each
 * with a clock of its own.
 */

import assert from "node:assert/strict";
import { parseBoard, type Schedule } from "../src/schedule/board.ts";
import { OTHER_RULE_RECHECK_SECONDS, Scheduler } from "../src/schedule/scheduler.ts";
import { openSqliteScheduleStore } from "../src/storage/sqlite/schedules.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

function scheduleOf(rule: string): Schedule {
  return parseBoard(`[report]\ntarget = t1\noverlap = allow\n${rule}\n`, "board.ini").schedules[0];
}

/** A clock set by the test, ms. */
class Clock {
  seconds = 2_000_000_000;
  now = () => this.seconds * 1000;
}

Deno.test("two boards with different rules for one name: the row follows the board loaded last, without ping-pong", async () => {
  await using db = await openTestSqliteDatabase();
  const hourly = scheduleOf("every = 1h");
  const twoHourly = scheduleOf("every = 2h");
  const clocks = { a: new Clock(), b: new Clock() };
  const stores = {
    a: await openSqliteScheduleStore({ path: db.path, table: db.table }),
    b: await openSqliteScheduleStore({ path: db.path, table: db.table }),
  };
  const scheduler = (name: "a" | "b") =>
    new Scheduler({
      store: stores[name],
      serves: () => true,
      onInserted: () => {},
      now: clocks[name].now,
    });
  const a = scheduler("a");
  const b = scheduler("b");
  const row = async () => (await stores.a.read(["report"])).get("report")!;
  /** Moves both clocks on and lets both schedulers look at the row. */
  const tick = async (seconds: number) => {
    clocks.a.seconds += seconds;
    clocks.b.seconds += seconds;
    a.wake();
    b.wake();
    await a.settled();
    await b.settled();
  };
  try {
    const start = clocks.a.seconds;
    a.setSchedules([hourly]);
    await a.settled();
    assert.equal((await row()).ruleHash, hourly.rule.hash);
    b.setSchedules([twoHourly]);
    await b.settled();
    assert.equal((await row()).ruleHash, twoHourly.rule.hash, "b's board, loaded last");
    assert.equal((await row()).nextRunAt, start + 7200);

    // Five slots of b's rule, each seen by a too, and a's look at the row after each.
    for (let slot = 1; slot <= 5; slot++) {
      await tick(7200);
      await tick(OTHER_RULE_RECHECK_SECONDS + 1);
      const state = await row();
      assert.equal(state.ruleHash, twoHourly.rule.hash, `slot ${slot}: still b's rule`);
      assert.equal(state.runs, slot, `slot ${slot}: b's runs go on, never reset`);
    }
    assert.equal((await db.rows()).length, 5, "one row per slot of b's rule");
    assert.equal(
      (await row()).nextRunAt,
      start + 6 * 7200,
      "the slots of b's rule, none moved by a",
    );

    // a's board loaded again (SIGHUP): now a's is the board loaded last.
    a.setSchedules([hourly]);
    await a.settled();
    const reset = await row();
    assert.equal(reset.ruleHash, hourly.rule.hash);
    assert.equal(reset.runs, 0, "a new rule starts with no runs");
    for (let slot = 1; slot <= 3; slot++) {
      await tick(3600);
      await tick(OTHER_RULE_RECHECK_SECONDS + 1);
      assert.equal((await row()).ruleHash, hourly.rule.hash, `slot ${slot}: still a's rule`);
    }
    assert.equal((await row()).runs, 3, "a ran its slots; b left the row alone");
  } finally {
    await a.stop();
    await b.stop();
    await stores.a.close();
    await stores.b.close();
  }
});

Deno.test("a board whose rule agrees again with the row's runs the schedule again", async () => {
  await using db = await openTestSqliteDatabase();
  const hourly = scheduleOf("every = 1h");
  const clock = new Clock();
  const stores = [
    await openSqliteScheduleStore({ path: db.path, table: db.table }),
    await openSqliteScheduleStore({ path: db.path, table: db.table }),
  ];
  const [a, b] = stores.map((store) =>
    new Scheduler({ store, serves: () => true, onInserted: () => {}, now: clock.now })
  );
  try {
    const look = async (seconds: number) => {
      clock.seconds += seconds;
      a.wake();
      await a.settled();
    };
    a.setSchedules([hourly]);
    await a.settled();
    b.setSchedules([scheduleOf("every = 2h")]);
    await b.settled();
    await look(3600); // a's slot: a finds b's rule in the row and leaves it
    assert.equal((await db.rows()).length, 0);
    b.setSchedules([hourly]); // b's board brought in line with a's
    await b.settled();
    await b.stop(); // only a is left to run the schedule
    await look(OTHER_RULE_RECHECK_SECONDS + 1);
    await look(3600);
    const state = (await stores[0].read(["report"])).get("report")!;
    assert.equal(state.ruleHash, hourly.rule.hash);
    assert.equal(state.runs, 1, "a found its rule in the row again and fired its slot");
  } finally {
    await a.stop();
    await b.stop();
    for (const store of stores) await store.close();
  }
});
