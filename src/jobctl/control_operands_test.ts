import assert from "node:assert/strict";
import {
  readColumnValues,
  readDuration,
  readLimit,
  readResult,
  readRunAt,
  readStatus,
  readTime,
  refuseResultOutsideStatus,
} from "./control_operands.ts";
import { UsageError } from "./usage_error.ts";

function usage(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof UsageError);
    return error.message;
  }
  assert.fail("expected a UsageError");
}

Deno.test("--status is a row status; a near miss gets a suggestion", () => {
  assert.equal(readStatus("jobs", "done"), "done");
  assert.match(usage(() => readStatus("jobs", "don")), /did you mean 'done'\?/);
});

Deno.test("--result is ok or fail; a near miss gets a suggestion", () => {
  assert.equal(readResult("jobs", "fail"), "fail");
  assert.match(
    usage(() => readResult("jobs", "failed")),
    /^invalid --result 'failed': expected one of ok, fail; did you mean 'fail'\?/,
  );
});

Deno.test("--result with a --status whose rows never have that result is refused, naming both", () => {
  assert.equal(
    usage(() => refuseResultOutsideStatus("jobs", "ok", "waiting")),
    "--result ok and --status waiting match no row: only 'done' rows have result ok",
  );
  assert.match(
    usage(() => refuseResultOutsideStatus("jobs", "fail", "manual")),
    /^--result fail and --status manual match no row: only 'done', 'delayed', 'waiting', /,
  );
  assert.match(usage(() => refuseResultOutsideStatus("jobs", "fail", "ignored")), /match no row/);
  // A failed attempt keeps its result while it waits for its retry, and runs it.
  for (const status of ["done", "delayed", "waiting", "accepted", "running"] as const) {
    refuseResultOutsideStatus("jobs", "fail", status);
  }
  refuseResultOutsideStatus("jobs", "ok", "done");
});

Deno.test("--limit is an integer from 1 to 1000", () => {
  assert.equal(readLimit("jobs", "50"), 50);
  assert.match(usage(() => readLimit("jobs", "0")), /^invalid --limit '0'/);
  assert.match(usage(() => readLimit("jobs", "1001")), /from 1 to 1000/);
});

Deno.test("--in takes seconds or amounts with units", () => {
  assert.equal(readDuration("add", "90"), 90);
  assert.equal(readDuration("add", "1h30m"), 5400);
  assert.equal(readDuration("add", "2d"), 172_800);
  assert.match(usage(() => readDuration("add", "5 minutes")), /^invalid --in '5 minutes'/);
  assert.match(usage(() => readDuration("add", "5mx")), /^invalid --in/);
});

Deno.test("--at takes unix seconds or a date and time, with or without an offset", () => {
  assert.equal(readTime("add", "1800000000"), 1_800_000_000);
  assert.equal(readTime("add", "2026-12-24T18:00:00Z"), Date.UTC(2026, 11, 24, 18) / 1000);
  assert.equal(readTime("add", "2026-12-24T19:00+01:00"), Date.UTC(2026, 11, 24, 18) / 1000);
  assert.equal(readTime("add", "2026-12-24 18:00"), new Date(2026, 11, 24, 18).getTime() / 1000);
  assert.match(usage(() => readTime("add", "tomorrow")), /^invalid --at 'tomorrow'/);
  assert.match(usage(() => readTime("add", "2026-12-24")), /^invalid --at/);
  // A day the month does not have is a mistake, not the first days of the next month.
  assert.match(
    usage(() => readTime("add", "2027-02-29 18:00")),
    /^invalid --at '2027-02-29 18:00'/,
  );
  assert.match(usage(() => readTime("add", "2026-06-31T18:00:00Z")), /^invalid --at/);
  assert.equal(readTime("add", "2028-02-29T18:00:00Z"), Date.UTC(2028, 1, 29, 18) / 1000);
});

Deno.test("--at and --in are one or the other; --in counts from now", () => {
  assert.equal(readRunAt("add", {}, 1000), undefined);
  assert.equal(readRunAt("add", { in: "5m" }, 1000), 1300);
  assert.match(usage(() => readRunAt("add", { at: "1", in: "1" }, 0)), /not both/);
});

Deno.test("--at and --in past what a job row holds are refused, naming the option and the range", () => {
  const now = 1_800_000_000;
  assert.equal(readRunAt("add", { at: "4294967295" }, now), 4_294_967_295);
  assert.equal(
    usage(() => readRunAt("add", { at: "2200-01-01T00:00:00Z" }, now)),
    "invalid --at '2200-01-01T00:00:00Z': expected a time from 1970-01-01 00:00:00 UTC to " +
      "2106-02-07 06:28:15 UTC (unix seconds 0 to 4294967295, what a job row holds)",
  );
  assert.match(usage(() => readRunAt("add", { at: "1960-01-01T00:00:00Z" }, now)), /^invalid --at/);
  assert.equal(readRunAt("add", { in: "2494967295" }, now), 4_294_967_295);
  assert.equal(
    usage(() => readRunAt("add", { in: "100000d" }, now)),
    "invalid --in '100000d': expected at most 2494967295 seconds (about 28876d), so that the " +
      "job runs by 2106-02-07 06:28:15 UTC, the latest time a job row holds",
  );
});

Deno.test("--set takes COLUMN=VALUE, the value may be empty or hold '='", () => {
  assert.deepEqual(readColumnValues("add", ["a=1", "b=", "c=x=y"]), { a: "1", b: "", c: "x=y" });
  assert.match(usage(() => readColumnValues("add", ["=1"])), /^invalid --set '=1'/);
  assert.match(usage(() => readColumnValues("add", ["a"])), /^invalid --set 'a'/);
  assert.match(usage(() => readColumnValues("add", ["a=1", "a=2"])), /set twice/);
});
