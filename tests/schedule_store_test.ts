/**
 * The job board's store (`jobd_schedules`) on MySQL/MariaDB and SQLite: the
 * row of a schedule, a firing that inserts its rows and advances
 * `next_run_at` in one transaction (two stores firing the same slot at once
 * insert one row), overlap, a refused insert, schedule-run and pause.
 */

import assert from "node:assert/strict";
import { StorageError } from "../src/storage/errors.ts";
import { openMysqlScheduleStore } from "../src/storage/mysql/schedules.ts";
import type { FireDecision, ScheduleStore } from "../src/storage/schedule_store.ts";
import { openSqliteScheduleStore } from "../src/storage/sqlite/schedules.ts";
import { openTestDatabase } from "./helpers/database.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

interface Fixture extends AsyncDisposable {
  db: TestJobsTable;
  open(): Promise<ScheduleStore>;
  dropSchedulesTable(): Promise<void>;
}

const fixtures: Record<string, () => Promise<Fixture>> = {
  mysql: async () => {
    const db = await openTestDatabase();
    return {
      db,
      open: () => openMysqlScheduleStore(db.storeOptions("w")),
      dropSchedulesTable: async () => void await db.query("DROP TABLE jobd_schedules"),
      [Symbol.asyncDispose]: () => db[Symbol.asyncDispose](),
    };
  },
  sqlite: async () => {
    const db = await openTestSqliteDatabase();
    return {
      db,
      open: () => openSqliteScheduleStore({ path: db.path, table: db.table }),
      dropSchedulesTable: async () => void await db.query("DROP TABLE jobd_schedules"),
      [Symbol.asyncDispose]: () => db[Symbol.asyncDispose](),
    };
  },
};

/** Runs the slot at `nextRunAt`, then the next one 10 s later. */
const everyTenSeconds: FireDecision = (state) => ({
  slots: [state.nextRunAt],
  nextRunAt: state.nextRunAt + 10,
  passed: 0,
});

const job = { target: "t1", set: {}, createdAt: 1000 };

for (const [kind, fixture] of Object.entries(fixtures)) {
  Deno.test(`${kind} schedules: a schedule's row is made once and starts anew when its rule changes, only when asked to`, async () => {
    await using f = await fixture();
    const store = await f.open();
    try {
      const made = await store.ensure("nightly", "rule-a", 1000, true);
      assert.deepEqual(made, {
        name: "nightly",
        ruleHash: "rule-a",
        nextRunAt: 1000,
        lastRunAt: null,
        lastJobId: null,
        runs: 0,
        paused: false,
      });
      await store.fire("nightly", "rule-a", job, everyTenSeconds);
      assert.equal((await store.ensure("nightly", "rule-a", 5000, true)).nextRunAt, 1010, "kept");
      const other = await store.ensure("nightly", "rule-b", 5000, false);
      assert.deepEqual(
        [other.ruleHash, other.nextRunAt, other.runs],
        ["rule-a", 1010, 1],
        "without reset, a row of another rule is answered as it is",
      );
      const changed = await store.ensure("nightly", "rule-b", 5000, true);
      assert.equal(changed.ruleHash, "rule-b");
      assert.equal(changed.nextRunAt, 5000);
      assert.equal(changed.runs, 0);
    } finally {
      await store.close();
    }
  });

  Deno.test(`${kind} schedules: two stores firing the same slot at once insert one row`, async () => {
    await using f = await fixture();
    const [a, b] = [await f.open(), await f.open()];
    try {
      await a.ensure("s", "h", 1000, true);
      for (let round = 0; round < 5; round++) {
        const decide: FireDecision = (state) =>
          state.nextRunAt > 1000 + round * 10 ? undefined : everyTenSeconds(state, false);
        await Promise.all([a.fire("s", "h", job, decide), b.fire("s", "h", job, decide)]);
      }
      const rows = await f.db.rows();
      assert.equal(rows.length, 5, "one row per slot");
      assert.ok(rows.every((row) => row.status === "waiting" && row.target === "t1"));
      const state = (await a.read(["s"])).get("s");
      assert.equal(state?.runs, 5);
      assert.equal(state?.nextRunAt, 1050);
      assert.equal(state?.lastJobId, rows.at(-1)?.id);
      assert.equal(state?.lastStatus, "waiting");
    } finally {
      await a.close();
      await b.close();
    }
  });

  Deno.test(`${kind} schedules: a firing sees whether the last job is still open`, async () => {
    await using f = await fixture();
    const store = await f.open();
    try {
      await store.ensure("s", "h", 1000, true);
      const seen: boolean[] = [];
      const decide: FireDecision = (state, open) => {
        seen.push(open);
        return everyTenSeconds(state, open);
      };
      await store.fire("s", "h", job, decide);
      await store.fire("s", "h", job, decide);
      assert.deepEqual(seen, [false, true], "no job yet, then a waiting one");
    } finally {
      await store.close();
    }
  });

  Deno.test(`${kind} schedules: a refused insert changes nothing, and is an error naming the schedule`, async () => {
    await using f = await fixture();
    const store = await f.open();
    try {
      await store.ensure("s", "h", 1000, true);
      await assert.rejects(
        store.fire("s", "h", { ...job, set: { no_such_column: "1" } }, everyTenSeconds),
        (error) => error instanceof StorageError && /fire the schedule 's'/.test(error.message),
      );
      assert.equal((await f.db.rows()).length, 0);
      assert.equal((await store.read(["s"])).get("s")?.nextRunAt, 1000, "not advanced");
    } finally {
      await store.close();
    }
  });

  Deno.test(`${kind} schedules: schedule-run inserts one row outside the rule; pause is kept`, async () => {
    await using f = await fixture();
    const store = await f.open();
    try {
      await store.ensure("s", "h", 1000, true);
      const id = await store.runNow("s", { ...job, createdAt: 2000 });
      assert.equal(await store.setPaused("s", true), true);
      assert.equal(await store.setPaused("missing", true), false);
      const state = (await store.read(["s"])).get("s");
      assert.equal(state?.lastJobId, id);
      assert.equal(state?.lastRunAt, 2000);
      assert.equal(state?.nextRunAt, 1000, "the rule's next slot is unchanged");
      assert.equal(state?.runs, 0);
      assert.equal(state?.paused, true);
      assert.ok((await store.jobColumns()).has("time_created"));
    } finally {
      await store.close();
    }
  });

  Deno.test(`${kind} schedules: without the jobd_schedules table the board cannot open`, async () => {
    await using f = await fixture();
    await f.dropSchedulesTable();
    await assert.rejects(
      f.open(),
      (error) =>
        error instanceof StorageError && /needs the table 'jobd_schedules'/.test(error.message),
    );
  });
}
