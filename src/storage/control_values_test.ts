import assert from "node:assert/strict";
import { insertRow, retryAssignments, shownRow, targetStats } from "./control_values.ts";
import type { TableColumn } from "./job_control.ts";
import { MAX_SHOWN_TEXT } from "../protocol/control_requests.ts";
import { messageOf } from "../text.ts";
import { JOBD_WRITTEN_COLUMNS } from "./required_columns.ts";

const COLUMNS: TableColumn[] = [
  { name: "id", kind: "integer", nullable: false, optional: true, unsigned: true },
  { name: "target", kind: "text", nullable: false, optional: false, maxLength: 16 },
  { name: "time_created", kind: "integer", nullable: false, optional: false, unsigned: true },
  {
    name: "status",
    kind: "enum",
    nullable: false,
    optional: true,
    values: ["waiting", "manual", "accepted", "running", "done", "ignored"],
  },
  { name: "Priority", kind: "integer", nullable: false, optional: true, unsigned: true },
  { name: "kind", kind: "enum", nullable: true, optional: true, values: ["a", "b"] },
  { name: "weight", kind: "number", nullable: true, optional: true },
  { name: "token", kind: "text", nullable: false, optional: false, maxLength: 4 },
];

function refusal(values: Record<string, string | number | null>, columns = COLUMNS): string {
  try {
    insertRow(columns, { target: "build", count: 1, values: { token: "t", ...values } }, 100);
  } catch (error) {
    return messageOf(error);
  }
  assert.fail(`${JSON.stringify(values)} was accepted`);
}

Deno.test("add's row: target, time_created, status, then the values as the columns store them", () => {
  const row = insertRow(COLUMNS, {
    target: "build",
    count: 1,
    values: { priority: "7", kind: "b", weight: "1.5", token: "abcd" },
  }, 100);
  assert.deepEqual(row, {
    columns: ["target", "time_created", "status", "Priority", "kind", "weight", "token"],
    values: ["build", 100, "waiting", 7, "b", 1.5, "abcd"],
    status: "waiting",
  });
});

Deno.test("add's values are refused when the column cannot take them", () => {
  assert.match(refusal({ colour: "red" }), /^it has no column 'colour'$/);
  assert.match(refusal({ status: "done" }), /column 'status' is written by jobd/);
  assert.match(refusal({ priority: "-1" }), /is negative, and the column is UNSIGNED/);
  assert.match(refusal({ priority: "1.5" }), /is not an integer/);
  assert.match(refusal({ kind: "c" }), /is not one of 'a', 'b'/);
  assert.match(refusal({ weight: "heavy" }), /is not a number/);
  assert.match(refusal({ token: "abcde" }), /longer than the column's 4 characters/);
  assert.match(refusal({ token: null }), /the column is NOT NULL/);
  assert.match(
    insertRowError({ target: "a-very-long-target-name" }),
    /"a-very-long-target-name" of column 'target' is longer than the column's 16 characters/,
  );
  assert.match(insertRowError({}), /its column 'token' needs a value \(give it with 'set'\)/);
});

Deno.test("add may set no column jobd writes itself: the same columns a schedule's set. may not name", () => {
  const present = new Set(COLUMNS.map((column) => column.name));
  const columns: TableColumn[] = [
    ...COLUMNS,
    ...[...JOBD_WRITTEN_COLUMNS].filter((name) => !present.has(name))
      .map((name) => ({ name, kind: "integer", nullable: true, optional: true }) as const),
  ];
  for (const name of JOBD_WRITTEN_COLUMNS) {
    assert.match(
      refusal({ [name]: 1 }, columns),
      new RegExp(`column '${name}' is written by jobd`),
    );
  }
});

function insertRowError(request: { target?: string }): string {
  try {
    insertRow(COLUMNS, { target: request.target ?? "build", count: 1, values: {} }, 100);
  } catch (error) {
    return messageOf(error);
  }
  assert.fail("accepted");
}

Deno.test("a run time later than now makes the rows delayed, when the table can hold them", () => {
  const delayedColumns: TableColumn[] = [
    ...COLUMNS.map((column) =>
      column.name === "status" ? { ...column, values: [...column.values!, "delayed"] } : column
    ),
    { name: "time_run_at", kind: "integer", nullable: false, optional: true, unsigned: true },
  ];
  const later = insertRow(delayedColumns, {
    target: "b",
    count: 1,
    runAt: 160,
    values: { token: "t" },
  }, 100);
  assert.equal(later.status, "delayed");
  assert.deepEqual(later.columns.slice(0, 4), ["target", "time_created", "time_run_at", "status"]);
  assert.deepEqual(later.values.slice(0, 4), ["b", 100, 160, "delayed"]);
  const past = insertRow(delayedColumns, {
    target: "b",
    count: 1,
    runAt: 90,
    values: { token: "t" },
  }, 100);
  assert.equal(past.status, "waiting");
  const withoutStatus = [...COLUMNS, delayedColumns.at(-1)!];
  assert.throws(
    () =>
      insertRow(withoutStatus, { target: "b", count: 1, runAt: 160, values: { token: "t" } }, 100),
    /column 'status' has no value 'delayed'/,
  );
});

Deno.test("retry resets the row, and attempts and worker when the table has them", () => {
  assert.doesNotMatch(retryAssignments(COLUMNS), /attempts|worker/);
  const full = retryAssignments([
    ...COLUMNS,
    { name: "worker", kind: "text", nullable: true, optional: true },
    { name: "attempts", kind: "integer", nullable: false, optional: true },
  ]);
  assert.match(full, /^status = 'waiting', time_started = 0, time_finished = 0, result = NULL/);
  assert.match(full, /worker = NULL, attempts = 0$/);
});

Deno.test("job's row is JSON; texts longer than the bound are cut and named", () => {
  const long = "x".repeat(MAX_SHOWN_TEXT + 5);
  const shown = shownRow({
    id: 5,
    stdout: long,
    stderr: "",
    data: new TextEncoder().encode("bytes"),
    at: new Date(0),
    big: 2n ** 70n,
  });
  assert.equal((shown.job.stdout as string).length, MAX_SHOWN_TEXT);
  assert.deepEqual(shown.truncated, ["stdout"]);
  assert.equal(shown.job.data, "bytes");
  assert.equal(shown.job.at, "1970-01-01T00:00:00.000Z");
  assert.equal(shown.job.big, String(2n ** 70n));
});

Deno.test("stats adds the counts up per target, names sorted, oldest waiting by age", () => {
  const stats = targetStats(
    [
      { target: "t10", status: "waiting", count: 2, oldest: 40 },
      { target: "t2", status: "running", count: 1, oldest: 10 },
      { target: "t2", status: "done", count: 9, oldest: 1 },
    ],
    [
      { target: "t2", result: "ok", hour: 1, day: 3 },
      { target: "t2", result: "fail", hour: 0, day: 2 },
    ],
    100,
  );
  assert.deepEqual(Object.keys(stats), ["t2", "t10"]);
  assert.equal(stats.t10.waiting, 2);
  assert.equal(stats.t10.oldestWaitingAge, 60);
  assert.equal(stats.t2.running, 1);
  assert.equal(stats.t2.oldestWaitingAge, null);
  assert.deepEqual([stats.t2.lastHour, stats.t2.lastDay], [{ ok: 1, fail: 0 }, { ok: 3, fail: 2 }]);
  assert.deepEqual(stats.t2.timedOut, { lastHour: 0, lastDay: 0 });
  assert.equal(stats.t2.retrying, null, "no attempts column: retries not counted");
});

Deno.test("stats: the timed out per target, and with attempts the waiting and delayed that ran before", () => {
  const stats = targetStats(
    [
      { target: "a", status: "waiting", count: 3, oldest: 1, retried: 1 },
      { target: "a", status: "delayed", count: 2, oldest: 1, retried: 2 },
      { target: "a", status: "running", count: 4, oldest: 1, retried: 4 },
      { target: "b", status: "manual", count: 1, oldest: 1, retried: 0 },
    ],
    [{ target: "a", result: "fail", hour: 2, day: 5 }],
    100,
    [{ target: "a", hour: 1, day: 3 }],
    true,
  );
  assert.deepEqual(stats.a.timedOut, { lastHour: 1, lastDay: 3 });
  assert.equal(stats.a.retrying, 3, "running rows are not waiting for a retry");
  assert.equal(stats.b.retrying, 0);
});
