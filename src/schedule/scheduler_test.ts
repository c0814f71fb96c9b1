import assert from "node:assert/strict";
import { openSqliteScheduleStore } from "../storage/sqlite/schedules.ts";
import { waitFor } from "../../tests/helpers/processes.ts";
import { openTestSqliteDatabase } from "../../tests/helpers/sqlite_database.ts";
import { parseBoard } from "./board.ts";
import { MAX_SLEEP_MS, Scheduler } from "./scheduler.ts";

Deno.test("the timer reads the clock again every minute at least, so a clock step ahead delays a slot by no more", async () => {
  // Timers run on the monotonic clock: a wall clock stepped ahead (or a host suspended for a
  // while) is noticed at the timer's next look, never more than a minute away.
  assert.ok(MAX_SLEEP_MS <= 60_000, `the timer sleeps at most a minute, not ${MAX_SLEEP_MS} ms`);
  await using db = await openTestSqliteDatabase();
  const store = await openSqliteScheduleStore({ path: db.path, table: db.table });
  let clock = Date.UTC(2026, 0, 1);
  const inserted: string[] = [];
  const scheduler = new Scheduler({
    store,
    serves: () => true,
    onInserted: (target) => inserted.push(target),
    now: () => clock,
    maxSleepMs: 50,
  });
  try {
    scheduler.setSchedules(parseBoard("[daily]\ntarget = t1\nevery = 1d\n", "board.ini").schedules);
    await scheduler.settled();
    assert.equal(scheduler.state("daily")?.nextRunAt, clock / 1000 + 86_400);
    // The wall clock steps a day ahead; nothing wakes the scheduler but its own timer.
    clock += 86_400_000;
    await waitFor("the slot's firing", () => inserted.length > 0);
    assert.deepEqual(inserted, ["t1"]);
    assert.equal(scheduler.state("daily")?.runs, 1);
  } finally {
    await scheduler.stop();
    await store.close();
  }
});

Deno.test("wakes that come together (a reload's thousands of target changes) make one look at the schedules", async () => {
  await using db = await openTestSqliteDatabase();
  const store = await openSqliteScheduleStore({ path: db.path, table: db.table });
  let looked = 0;
  const scheduler = new Scheduler({
    store,
    serves: () => {
      looked++;
      return true;
    },
    onInserted: () => {},
  });
  try {
    const board = Array.from({ length: 10 }, (_, i) => `[s${i}]\ntarget = t${i}\nevery = 1d\n`);
    scheduler.setSchedules(parseBoard(board.join(""), "board.ini").schedules);
    await scheduler.settled();
    looked = 0;
    scheduler.wake();
    await scheduler.settled();
    const oneLook = looked;
    looked = 0;
    for (let i = 0; i < 2000; i++) scheduler.wake();
    await scheduler.settled();
    assert.equal(looked, oneLook, "as many schedules looked at as for one wake");
  } finally {
    await scheduler.stop();
    await store.close();
  }
});
