import assert from "node:assert/strict";
import {
  BoardError,
  checkSetColumns,
  MAX_BOARD_PROBLEMS,
  MAX_BOARD_SCHEDULES,
  parseBoard,
} from "./board.ts";
import { JOBD_WRITTEN_COLUMNS } from "../storage/required_columns.ts";

function problems(text: string): string[] {
  try {
    parseBoard(text, "/etc/jobd/board.ini");
  } catch (error) {
    assert.ok(error instanceof BoardError);
    return error.problems.map((problem) => problem.message);
  }
  assert.fail("the board was accepted");
}

Deno.test("a board reads every key of a schedule", () => {
  const board = parseBoard(
    `[nightly]
target = maintenance
cron = 30 2 * * *
tz = Europe/Berlin
start = 2026-01-01T00:00:00Z
stop = 2027-01-01T00:00:00+01:00
max_runs = 100
catchup = all
catchup_window = 6h
overlap = allow
set.priority = 5
enabled = false

[poller]
target = fetch
every = 10s
decay = 1.15
every_max = 10m
`,
    "board.ini",
  );
  const [nightly, poller] = board.schedules;
  assert.equal(nightly.name, "nightly");
  assert.equal(nightly.target, "maintenance");
  assert.equal(nightly.rule.text, "cron 30 2 * * * (Europe/Berlin)");
  assert.equal(nightly.start, Date.parse("2026-01-01T00:00:00Z") / 1000);
  assert.equal(nightly.stop, Date.parse("2026-12-31T23:00:00Z") / 1000);
  assert.equal(nightly.maxRuns, 100);
  assert.equal(nightly.catchup, "all");
  assert.equal(nightly.catchupWindow, 6 * 3600);
  assert.equal(nightly.overlap, "allow");
  assert.deepEqual(nightly.set, { priority: "5" });
  assert.equal(nightly.enabled, false);
  assert.equal(poller.rule.text, "every 10s, ×1.15 after each run up to 10m");
  assert.equal(poller.catchup, "latest");
  assert.equal(poller.overlap, "skip");
  assert.equal(poller.enabled, true);
});

Deno.test("a cron expression no date matches, or a start on a day the month lacks, is refused; leap days are kept", () => {
  assert.deepEqual(
    problems(`[never]
target = t
cron = 0 0 30 2 *
[leap]
target = t
cron = 0 0 29 2 *
[too-long]
target = t
every = 3651d
[no-such-day]
target = t
every = 1h
start = 2026-02-30T08:00:00Z
stop = 2028-02-29T08:00:00Z
[too-late]
target = t
every = 1h
start = 2200-01-01T00:00:00Z
max_runs = 99999999999999999999
`),
    [
      "/etc/jobd/board.ini: 'cron' in [never] matches no date (such as the 30th of February): '0 0 30 2 *'",
      "/etc/jobd/board.ini: 'every' in [too-long] must be a duration such as 90s, 3m5s or 1h, from 1s to 3650d (10 years), got '3651d'",
      "/etc/jobd/board.ini: 'start' in [no-such-day] must be an ISO 8601 time with a zone, such as 2026-01-01T00:00:00Z, got '2026-02-30T08:00:00Z'",
      "/etc/jobd/board.ini: 'start' in [too-late] must be at the latest 2106-02-07T06:28:15Z (the largest time the table's next_run_at holds)",
      "/etc/jobd/board.ini: 'max_runs' in [too-late] must be an integer from 1 to 4294967295, in decimal digits only (such as 100; no point or exponent), got '99999999999999999999'",
    ],
  );
});

Deno.test("every problem of a board is reported, each naming the file, the section and the key", () => {
  assert.deepEqual(
    problems(`stray = 1
[a]
target = t
cron = 61 * * * *
[b]
target = t
cron = 0 3 * * *
tz = Mars/Olympus_Mons
[c]
target = t
every = 1h
cron = 0 * * * *
[d]
target = t
[e]
target = t
every = soon
colour = blue
[f]
target = t
every = 1m
catchup = sometimes
set.status = done
`),
    [
      "/etc/jobd/board.ini: 'stray' is outside any section: a board has only [schedule] sections",
      "/etc/jobd/board.ini: 'cron' in [a] does not parse: '61 * * * *' CronPattern: Invalid value for minute: 61",
      "/etc/jobd/board.ini: 'tz' in [b] names no known time zone: 'Mars/Olympus_Mons'",
      "/etc/jobd/board.ini: 'every' in [c] cannot be given with 'cron': use one of them",
      "/etc/jobd/board.ini: 'cron' in [d] or 'every' is required",
      "/etc/jobd/board.ini: 'colour' in [e] is not a key of a schedule",
      "/etc/jobd/board.ini: 'every' in [e] must be a duration such as 90s, 3m5s or 1h, from 1s to 3650d (10 years), got 'soon'",
      "/etc/jobd/board.ini: 'set.status' in [f] sets the column 'status', which jobd writes itself",
      "/etc/jobd/board.ini: 'catchup' in [f] must be one of 'latest', 'none', 'all', got 'sometimes'",
    ],
  );
});

Deno.test("set. may name no column jobd writes itself: the same columns add --set may not set", () => {
  const columns = [...JOBD_WRITTEN_COLUMNS];
  assert.ok(columns.includes("attempts") && columns.includes("time_run_at"));
  assert.deepEqual(
    problems(`[a]\ntarget = t\nevery = 1m\n${columns.map((c) => `set.${c} = 1\n`).join("")}`),
    columns.map((column) =>
      `/etc/jobd/board.ini: 'set.${column}' in [a] sets the column '${column}', which jobd writes itself`
    ),
  );
});

Deno.test("a schedule without target, or with decay but no every_max, is refused", () => {
  assert.deepEqual(problems("[a]\nevery = 1m\n[b]\ntarget = t\nevery = 1m\ndecay = 2\n"), [
    "/etc/jobd/board.ini: 'target' in [a] is not defined",
    "/etc/jobd/board.ini: 'every_max' in [b] is required with 'decay' (the longest interval)",
  ]);
});

Deno.test("a schedule's target follows the rules of every target name; a stray word is named by its line", () => {
  assert.deepEqual(
    problems("hunter2\n[a]\ntarget = bu\u202Eild\nevery = 1m\n[b]\ntarget = null\nevery = 1m\n"),
    [
      "/etc/jobd/board.ini: line 1 is outside any section: a board has only [schedule] sections",
      "/etc/jobd/board.ini: 'target' in [a] is not a valid target name: it contains U+202E, an " +
      "invisible format character (such as a bidirectional override or a zero-width space), " +
      "which changes how the text around it reads",
      "/etc/jobd/board.ini: 'target' in [b] is not a valid target name: 'null' is not a target name",
    ],
  );
});

Deno.test("set. columns are checked against the jobs table", () => {
  const board = parseBoard(
    "[a]\ntarget = t\nevery = 1m\nset.priority = 1\nset.owner = x\n",
    "b.ini",
  );
  assert.deepEqual(
    checkSetColumns(board, new Set(["id", "priority"]), "jobs").map((error) => error.message),
    ["b.ini: 'set.owner' in [a] names a column the table 'jobs' lacks"],
  );
});

Deno.test("the board of examples/jobd-board.ini (README's) reads as described", async () => {
  const file = new URL("../../examples/jobd-board.ini", import.meta.url);
  const board = parseBoard(await Deno.readTextFile(file), "jobd-board.ini");
  assert.deepEqual(board.schedules.map((s) => [s.name, s.target, s.rule.text]), [
    ["nightly-cleanup", "maintenance", "cron 30 2 * * * (Europe/Berlin)"],
    ["weekday-report", "reports", "cron */15 * * * 1-5 (America/New_York)"],
    ["feed-poller", "fetch", "every 10s, ×1.15 after each run up to 10m"],
  ]);
  assert.deepEqual(board.schedules[1].set, { priority: "5" });
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const example = await Deno.readTextFile(file);
  assert.ok(readme.includes(example.slice(example.indexOf("; Clean up"))), "README shows it");
});

Deno.test("a key given twice in a section, or a section given twice, is refused with both lines", () => {
  assert.deepEqual(
    problems(`[a]
target = t
every = 1h
target = u

[b]
target = t
cron = 0 3 * * *

[a]
every = 2h
`),
    [
      "/etc/jobd/board.ini: 'target' in [a] is given twice (lines 2 and 4): give it once",
      "/etc/jobd/board.ini: [a] is given twice (lines 1 and 10): a board has one section per schedule",
      "/etc/jobd/board.ini: 'every' in [a] is given twice (lines 3 and 11): give it once",
    ],
  );
});

Deno.test("a ';' or '#' right after a value is refused as ambiguous; after a space it is a comment", () => {
  assert.deepEqual(
    problems(`[a]
target = t
cron = */5 * * * *;x
set.note = a#b
`),
    [
      "/etc/jobd/board.ini: 'cron' in [a] (line 3) has '*/5 * * * *;x': a ';' right after the " +
      "value is ambiguous (ini would read '*/5 * * * *' and a comment); put a space before a " +
      "comment, or write '\\;' for the character",
      "/etc/jobd/board.ini: 'set.note' in [a] (line 4) has 'a#b': a '#' right after the value " +
      "is ambiguous (ini would read 'a' and a comment); put a space before a comment, or write " +
      "'\\#' for the character",
    ],
  );
  const board = parseBoard(
    "[a]\ntarget = t ; the target\ncron = */5 * * * * # every 5 minutes\nset.note = a\\;b\n",
    "board.ini",
  );
  assert.equal(board.schedules[0].target, "t");
  assert.equal(board.schedules[0].rule.text, "cron */5 * * * *");
  assert.deepEqual(board.schedules[0].set, { note: "a;b" }, "an escaped ';' is the character");
});

Deno.test("a section or key name ini would change or nest is refused as it is written", () => {
  assert.deepEqual(problems("[a.b]\ntarget = t\nevery = 1h\n[x;y]\ntarget = t\nevery = 1h\n"), [
    "/etc/jobd/board.ini: [a.b] (line 1) is not a valid schedule name (letters, digits, '_' and '-', at most 64)",
    "/etc/jobd/board.ini: [x;y] (line 4) is not a valid schedule name (letters, digits, '_' and '-', at most 64)",
  ]);
  assert.deepEqual(problems("[a] ; the first\ntarget = t\nevery = 1h\n"), [
    "/etc/jobd/board.ini: line 1 '[a] ; the first' is not read as a section: nothing may follow its ']' (a comment goes on a line of its own)",
  ]);
  assert.deepEqual(problems("[a]\ntarget = t\nevery = 1h\nev;ery = 2h\n"), [
    "/etc/jobd/board.ini: 'ev;ery' in [a] (line 4) has a ';' or '#' in its name, which ini reads as the start of a comment",
  ]);
});

Deno.test(`a board holds at most ${MAX_BOARD_SCHEDULES} schedules`, () => {
  const section = (i: number) => `[s${i}]\ntarget = t\nevery = 1h\n`;
  const full = Array.from({ length: MAX_BOARD_SCHEDULES }, (_, i) => section(i)).join("");
  assert.equal(parseBoard(full, "board.ini").schedules.length, MAX_BOARD_SCHEDULES);
  assert.deepEqual(problems(full + section(MAX_BOARD_SCHEDULES)), [
    `/etc/jobd/board.ini: has ${MAX_BOARD_SCHEDULES + 1} schedules; a board holds at most ` +
    `${MAX_BOARD_SCHEDULES} (MAX_BOARD_SCHEDULES): split it among the workers`,
  ]);
});

Deno.test(`a refused board reports its first ${MAX_BOARD_PROBLEMS} problems and counts the rest`, () => {
  const text = Array.from({ length: 150 }, (_, i) => `[s${i}]\nevery = 1h\n`).join("");
  try {
    parseBoard(text, "board.ini");
    assert.fail("the board was accepted");
  } catch (error) {
    assert.ok(error instanceof BoardError);
    assert.equal(error.count, 150);
    assert.equal(error.problems.length, MAX_BOARD_PROBLEMS + 1);
    assert.equal(error.problems.at(-1)?.message, "board.ini: and 50 more problems");
    assert.match(error.message, /^The job board board\.ini has 150 problems: /);
  }
});
