/**
 * The job board with real workers (`schedules = FILE`): each slot inserts
 * exactly one row however many workers run the board, a killed worker's
 * restart neither loses nor repeats a slot, `catchup` after a stop, overlap
 * `skip` with a job that outlasts the interval, the board's requests, and a
 * broken board that leaves the worker running.
 */

import assert from "node:assert/strict";
import type { WorkerClient } from "../src/net/client.ts";
import type { SchedulesResult } from "../src/protocol/requests.ts";
import { MAX_BOARD_FILE_BYTES } from "../src/schedule/job_board.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { peakConcurrency, startCounts } from "./helpers/launcher_events.ts";
import { freePort, runProgram, waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase, type TestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

interface StateRow {
  next_run_at: number;
  last_run_at: number | null;
  runs: number;
  paused: number;
}

/** The row of schedule `name` in jobd_schedules, if any. */
async function stateOf(
  db: TestDatabase | TestSqliteDatabase,
  name: string,
): Promise<StateRow | undefined> {
  const sql = "SELECT next_run_at, last_run_at, runs, paused FROM jobd_schedules WHERE name = ?";
  const rows = "server" in db ? await db.query(sql, [name]) : await db.query(sql, name);
  const row = rows[0] as Record<string, unknown> | undefined;
  if (row === undefined) return undefined;
  return {
    next_run_at: Number(row.next_run_at),
    last_run_at: row.last_run_at === null ? null : Number(row.last_run_at),
    runs: Number(row.runs),
    paused: Number(row.paused),
  };
}

/** Writes a board file in a temporary directory; returns its path. */
async function boardFile(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  const path = `${dir}/board.ini`;
  await Deno.writeTextFile(path, text);
  return path;
}

function schedules(client: WorkerClient): Promise<SchedulesResult> {
  return client.schedules();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("schedules: two workers on one board run each slot of every = 1s exactly once", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  const board = await boardFile("[tick]\ntarget = t1\nevery = 1s\nmax_runs = 3\n");
  const config = { schedules: board };
  await using first = await startWorker(db, { config: { ...config, name: "w1" } });
  await using second = await startWorker(db, { config: { ...config, name: "w2" } });

  await waitFor("3 runs", async () => (await stateOf(db, "tick"))?.runs === 3);
  const ids = (await db.rows()).map((row) => row.id);
  await waitForDone(db, ids);
  await sleep(1500); // a fourth slot would have come by now
  const rows = await db.rows();
  assert.equal(rows.length, 3, "exactly 3 rows");
  const counts = startCounts([...await first.events(), ...await second.events()]);
  assert.deepEqual([...counts.values()], [1, 1, 1], "each job ran once");
  const [created] = await db.query("SELECT MAX(time_created) AS at FROM jobs");
  const state = (await stateOf(db, "tick"))!;
  assert.ok(Number(created.at) - state.last_run_at! <= 3, "the last slot fired on time");
  const listed = (await schedules(first.client)).schedules[0];
  assert.equal(listed.runs, 3);
  assert.equal(listed.finished, true);
  assert.equal(listed.lastResult, "ok");
});

Deno.test("schedules: a worker killed between slots and restarted loses and repeats no slot", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const board = await boardFile(
    "[tick]\ntarget = t1\nevery = 1s\ncatchup = all\noverlap = allow\n",
  );
  const options = { config: { schedules: board } };
  const killed = await startWorker(db, options);
  const firstSlot = await waitFor(
    "the first run",
    () => stateOf(db, "tick").then((s) => s?.last_run_at ?? undefined),
  );
  await waitFor("a second run", async () => ((await stateOf(db, "tick"))?.runs ?? 0) >= 2);
  killed.process.kill("SIGKILL");
  await killed[Symbol.asyncDispose]();
  await sleep(1500);
  await using restarted = await startWorker(db, options);
  const runsAtRestart = (await stateOf(db, "tick"))!.runs;
  await waitFor(
    "two more runs",
    async () => ((await stateOf(db, "tick"))?.runs ?? 0) >= runsAtRestart + 2,
  );
  await restarted.client.schedulePause("tick");
  const state = (await stateOf(db, "tick"))!;
  const rows = await db.rows();
  assert.equal(rows.length, state.runs, "one row per run");
  assert.equal(
    state.runs,
    state.last_run_at! - firstSlot + 1,
    "one run for every slot from the first to the last",
  );
});

for (const [catchup, expected] of [["all", "every missed slot"], ["latest", 1], ["none", 0]]) {
  Deno.test(`schedules: after a 5 s stop, catchup = ${catchup} runs ${typeof expected === "number" ? `${expected} row(s)` : expected}`, async () => {
    await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
    const rule = `[tick]\ntarget = t1\nevery = 1s\noverlap = allow\ncatchup = ${catchup}\n`;
    const board = await boardFile(rule);
    const options = { config: { schedules: board } };
    {
      await using worker = await startWorker(db, options);
      await waitFor("a run", async () => ((await stateOf(db, "tick"))?.runs ?? 0) >= 1);
      worker.process.kill("SIGTERM");
      await worker.process.finished();
    }
    const stopped = (await stateOf(db, "tick"))!;
    const rowsBefore = (await db.rows()).length;
    // Slots go on for 2 s more, then stop: after the restart no slot is due but missed ones.
    const stop = Math.floor(Date.now() / 1000) + 2;
    await Deno.writeTextFile(board, `${rule}stop = ${new Date(stop * 1000).toISOString()}\n`);
    await sleep(5000);
    await using _restarted = await startWorker(db, options);
    const state = await waitFor("the missed slots handled", async () => {
      const current = await stateOf(db, "tick");
      return current !== undefined && current.next_run_at > stop ? current : undefined;
    });
    const added = (await db.rows()).length - rowsBefore;
    const missed = stop - stopped.next_run_at + 1;
    assert.ok(missed >= 2, `${missed} slots were missed`);
    assert.equal(added, typeof expected === "number" ? expected : missed);
    assert.equal(state.runs, stopped.runs + added);
  });
}

Deno.test("schedules: overlap = skip runs no slot while the last job still runs", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const board = await boardFile("[slow]\ntarget = t1\nevery = 1s\n");
  await using worker = await startWorker(db, { targets: { t1: 3 }, config: { schedules: board } });
  await worker.script("default", "sleep 2.5");
  await waitFor("two runs", async () => ((await stateOf(db, "slow"))?.runs ?? 0) >= 2, 60);
  await worker.client.schedulePause("slow");
  const rows = await db.rows();
  await waitForDone(db, rows.map((row) => row.id));
  assert.equal(peakConcurrency(await worker.events()), 1, "never two runs at once");
  const times = await db.query(
    "SELECT time_created, time_finished FROM jobs ORDER BY id",
  );
  assert.ok(
    Number(times[1].time_created) >= Number(times[0].time_finished),
    "the second run was inserted after the first had finished",
  );
});

Deno.test("schedules: the board's requests list, run, pause and resume a schedule", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const board = await boardFile(`[nightly]
target = t1
cron = 0 3 * * *
tz = Europe/Berlin

[elsewhere]
target = other
every = 1h
`);
  await using worker = await startWorker(db, { config: { schedules: board } });
  const { schedules: listed } = await schedules(worker.client);
  assert.deepEqual(listed.map((s) => [s.name, s.target, s.rule, s.served]), [
    ["nightly", "t1", "cron 0 3 * * * (Europe/Berlin)", true],
    ["elsewhere", "other", "every 1h", false],
  ]);
  assert.equal(listed[1].problem, "this worker does not serve target 'other'");
  assert.ok(listed[0].nextRunAt! > Date.now() / 1000);

  const { id } = await worker.client.scheduleRun("nightly");
  const [row] = await waitForDone(db, [id]);
  assert.equal(row.result, "ok", "schedule-run inserted a row, and the worker ran it at once");
  await worker.client.schedulePause("nightly");
  assert.equal((await stateOf(db, "nightly"))?.paused, 1);
  await worker.client.scheduleResume("nightly");
  assert.equal((await stateOf(db, "nightly"))?.paused, 0);
  const after = (await schedules(worker.client)).schedules[0];
  assert.equal(after.lastJobId, id);
  assert.equal(after.runs, 0, "schedule-run is outside the rule");

  await assert.rejects(
    worker.client.scheduleRun("missing"),
    /schedule 'missing' not found/,
  );
  await assert.rejects(
    worker.client.scheduleRun("elsewhere"),
    /schedule 'elsewhere' is for target 'other', which this worker does not serve/,
  );
  await assert.rejects(
    worker.client.request("schedule-pause", {}),
    /missing required field name/,
  );
});

Deno.test("schedules: a broken board leaves the worker running, with one error per problem; SIGHUP keeps a good one", async () => {
  await using db = await openTestSqliteDatabase();
  const board = await boardFile(`[a]
target = t1
every = 1h
colour = blue

[b]
target = t1
cron = 0 25 * * *
`);
  await using worker = await startWorker(db, { config: { schedules: board } });
  const output = () => worker.process.stderrSoFar;
  await waitFor("the board's errors", () => /is not used: 2 problem/.test(output()));
  assert.match(output(), /board\.ini: 'colour' in \[a\] is not a key of a schedule/);
  assert.match(output(), /board\.ini: 'cron' in \[b\] does not parse: '0 25 \* \* \*'/);
  assert.deepEqual((await schedules(worker.client)).schedules, []);
  assert.deepEqual(await worker.client.status().then((s) => Object.keys(s.targets)), ["t1"]);

  await Deno.writeTextFile(board, "[a]\ntarget = t1\nevery = 1h\n");
  worker.process.kill("SIGHUP");
  await waitFor("the good board", async () => (await schedules(worker.client)).schedules.length);
  await Deno.writeTextFile(board, "[a]\ntarget = t1\nevery = 1h\nset.no_such_column = 1\n");
  worker.process.kill("SIGHUP");
  await waitFor("the reload refused", () => /keeping the board loaded from/.test(output()));
  assert.match(output(), /'set\.no_such_column' in \[a\] names a column the table 'jobs' lacks/);
  assert.deepEqual((await schedules(worker.client)).schedules.map((s) => s.name), ["a"]);
});

Deno.test("schedules: a board file over 16 MiB is refused naming the file and the limit, the worker goes on", async () => {
  await using db = await openTestSqliteDatabase();
  const board = await boardFile("");
  // A valid board, all comments: one byte more than the limit.
  const line = "; padding padding padding padding padding padding padding padding padding\n";
  const size = MAX_BOARD_FILE_BYTES + 1;
  const text = line.repeat(Math.ceil(size / line.length)).slice(0, size - 1) + "\n";
  await Deno.writeTextFile(board, text);
  await using worker = await startWorker(db, { config: { schedules: board } });
  const output = () => worker.process.stderrSoFar;
  await waitFor("the board refused", () => /is not used: 1 problem/.test(output()));
  assert.match(output(), /board\.ini: the file is larger than 16 MiB, the most it may have/);
  assert.deepEqual(await worker.client.status().then((s) => Object.keys(s.targets)), ["t1"]);
});

Deno.test("schedules: a missing board file is refused naming the file, the key 'schedules' and the config file", async () => {
  await using db = await openTestSqliteDatabase();
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  const board = `${dir}/missing.ini`;
  try {
    await using worker = await startWorker(db, { config: { schedules: board } });
    const output = () => worker.process.stderrSoFar;
    await waitFor("the board refused", () => /is not used: 1 problem/.test(output()));
    assert.ok(
      output().includes(
        `${board}: file not found (the job board named by 'schedules' in ${worker.configPath})`,
      ),
      output(),
    );
    assert.deepEqual(await worker.client.status().then((s) => Object.keys(s.targets)), ["t1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schedules: a row the table refuses is one error, tried again at each slot (at debug), and a warning once it goes in", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs ADD COLUMN priority INT NOT NULL DEFAULT 0");
  const board = await boardFile("[bad]\ntarget = t1\nevery = 1s\nset.priority = high\n");
  await using worker = await startWorker(db, {
    config: { schedules: board, log_level_console: "debug" },
  });
  const failures = () =>
    worker.process.stderrSoFar.split("\n").filter((line) =>
      line.includes("Schedule bad: cannot insert its job row")
    );
  await waitFor("three failed inserts", () => failures().length >= 3);
  const lines = failures();
  // Not in a loop: each try is for a later slot than the one before.
  const slots = lines.map((line) => /its next slot \(([^)]+)\)/.exec(line)?.[1] ?? "");
  assert.ok(slots.every((slot, i) => i === 0 || slot > slots[i - 1]), slots.join("\n"));
  // One error for the run of failures, however many slots it lasts; the repeats at debug.
  assert.equal(lines.filter((line) => line.includes("[ERR]")).length, 1, lines.join("\n"));
  assert.ok(lines.slice(1).every((line) => line.includes("[DBG]")), lines.join("\n"));
  assert.equal((await db.rows()).length, 0);
  assert.equal((await stateOf(db, "bad"))?.runs, 0);
  assert.ok((await worker.client.status()).targets.t1, "the worker runs on");

  // The column takes the value now: the next slot inserts, and says so once.
  await db.query("ALTER TABLE jobs MODIFY priority VARCHAR(16) NOT NULL DEFAULT ''");
  await waitFor(
    "the warning that it inserts again",
    () =>
      /\[WRN\] .*Schedule bad: inserts its job rows again, after failing for /.test(
        worker.process.stderrSoFar,
      ),
  );
  await waitFor("a row of the schedule", async () => (await db.rows()).length > 0);
});

Deno.test("schedules: a slot met by the database busy or away runs once it is back, not an interval later", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  // An hourly schedule whose first slot comes a few seconds after the worker started.
  const start = Math.floor(Date.now() / 1000) + 15;
  const board = await boardFile(
    `[hourly]\ntarget = t1\nevery = 1h\nstart = ${new Date(start * 1000).toISOString()}\n`,
  );
  await using worker = await startWorker(db, { config: { schedules: board } });
  const made = await waitFor("the schedule's row", () => stateOf(db, "hourly"));
  assert.equal(made.next_run_at, start, "the worker started before the first slot");
  // Another connection holds the write lock over the slot, longer than the worker waits for it.
  await db.query("BEGIN IMMEDIATE");
  try {
    await waitFor(
      "the firing to fail",
      () =>
        /Schedule hourly: cannot insert its job row/.test(
          worker.process.stderrSoFar,
        ),
      60,
    );
  } finally {
    await db.query("ROLLBACK");
  }
  const fired = await waitFor("the slot's run", async () => {
    const state = await stateOf(db, "hourly");
    return state !== undefined && state.runs > 0 ? state : undefined;
  });
  assert.equal(fired.last_run_at, start, "the slot the outage met ran");
  assert.equal(fired.next_run_at, start + 3600);
  assert.equal((await db.rows()).length, 1);
});

Deno.test("schedules: a worker asked for a board on a database without jobd_schedules does not start", async () => {
  await using db = await openTestSqliteDatabase();
  await db.query("DROP TABLE jobd_schedules");
  const board = await boardFile("[a]\ntarget = t1\nevery = 1h\n");
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  try {
    const configPath = `${dir}/jobd.conf`;
    await Deno.writeTextFile(
      configPath,
      workerConfig(db, freePort(), dir, { config: { schedules: board } }),
    );
    const { code, stderr } = await runProgram("jobd", ["--config", configPath]);
    assert.equal(code, 1);
    assert.match(stderr, /the job board needs the table 'jobd_schedules' in SQLite file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schedules: a pause is kept in the table, so it survives a restart", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const board = await boardFile("[tick]\ntarget = t1\nevery = 1s\noverlap = allow\n");
  const options = { config: { schedules: board } };
  {
    await using worker = await startWorker(db, options);
    await waitFor("the row", async () => (await stateOf(db, "tick")) !== undefined);
    await worker.client.schedulePause("tick");
    worker.process.kill("SIGTERM");
    await worker.process.finished();
  }
  const rowsAtPause = (await db.rows()).length;
  await using restarted = await startWorker(db, options);
  assert.equal((await schedules(restarted.client)).schedules[0].paused, true);
  const pausedAt = (await stateOf(db, "tick"))!.next_run_at;
  await waitFor(
    "slots to pass",
    async () => (await stateOf(db, "tick"))!.next_run_at > pausedAt + 1,
  );
  assert.equal((await db.rows()).length, rowsAtPause, "the paused slots passed without rows");
  await restarted.client.scheduleResume("tick");
  await waitFor("a run after resume", async () => (await db.rows()).length > rowsAtPause);
});

Deno.test("schedules: two boards with different rules for one name: the row follows the one loaded last, and the other worker says so", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const hourly = await boardFile("[report]\ntarget = t1\nevery = 1h\n");
  const daily = await boardFile("[report]\ntarget = t1\nevery = 1d\n");
  await using first = await startWorker(db, { config: { name: "w1", schedules: hourly } });
  await waitFor("w1's row", async () => (await stateOf(db, "report")) !== undefined);
  const startedAt = Math.floor(Date.now() / 1000);
  await using second = await startWorker(db, { config: { name: "w2", schedules: daily } });
  const state = await waitFor("w2's rule in the row", async () => {
    const current = await stateOf(db, "report");
    return current !== undefined && current.next_run_at >= startedAt + 86_400 ? current : undefined;
  });
  const [listed] = (await schedules(first.client)).schedules;
  assert.equal(listed.problem, "its row follows another board's rule (a board loaded later)");
  assert.equal((await schedules(second.client)).schedules[0].problem, undefined);
  assert.deepEqual(await stateOf(db, "report"), state, "w1 left the row alone");
});
