import assert from "node:assert/strict";
import {
  type Answer,
  assembleReport,
  failedJobsOf,
  type GatheredStatus,
  NO_WORKER,
  STDERR_TAIL_CHARS,
  stderrTailOf,
} from "./status_report.ts";

const ok = (value: unknown): Answer => ({ ok: true, value });
const failed = (error: string): Answer => ({ ok: false, error });

function gathered(parts: Partial<GatheredStatus> = {}): GatheredStatus {
  return {
    now: 1_800_000_000_500,
    workers: [],
    stats: ok({ targets: {}, time: 1_800_000_000 }),
    failures: ok({ jobs: [] }),
    stderr: new Map(),
    schedules: ok({ schedules: [] }),
    ...parts,
  };
}

function counts(waiting: number, fail: number, oldestWaitingAge: number | null = null) {
  return {
    waiting,
    delayed: 1,
    manual: 0,
    accepted: 0,
    running: 2,
    lastHour: { ok: 5, fail },
    lastDay: { ok: 50, fail },
    timedOut: { lastHour: 1, lastDay: 2 },
    retrying: 3,
    oldestWaitingAge,
  };
}

Deno.test("stderr: short text whole, long text its last 2048 characters, marked as cut", () => {
  assert.deepEqual(stderrTailOf({ job: { stderr: "boom\n" } }), { tail: "boom\n", cut: false });
  assert.deepEqual(stderrTailOf({ job: { stderr: null } }), { tail: "", cut: false });
  const long = "a".repeat(5000) + "the end";
  const tail = stderrTailOf({ job: { stderr: long } });
  assert.deepEqual(tail, { tail: long.slice(-STDERR_TAIL_CHARS), cut: true });
  // Cut by the worker already (over 1 MiB): shown as cut, even when short enough here.
  assert.deepEqual(stderrTailOf({ job: { stderr: "x" }, truncated: ["stderr"] }), {
    tail: "x",
    cut: true,
  });
  assert.deepEqual(stderrTailOf({ job: { stderr: 5 } }), {
    error: "the worker's answer has no stderr text",
  });
});

Deno.test("stderr: the tail never starts in the middle of a character outside the BMP", () => {
  const text = `${"😀".repeat(STDERR_TAIL_CHARS)}!`;
  const { tail } = stderrTailOf({ job: { stderr: text } }) as { tail: string };
  assert.equal(tail.length, STDERR_TAIL_CHARS - 1);
  assert.equal(tail.codePointAt(0), 0x1f600);
});

Deno.test("failed jobs: rows without id or target are dropped, the rest newest finished first", () => {
  const jobs = failedJobsOf({
    jobs: [
      { id: 9, target: "build", code: 3, signal: null, finished: 100 },
      { id: "8", target: "build", finished: 300 },
      { id: 7, target: null, finished: 300 },
      { id: 6, target: "mail", code: null, signal: "SIGKILL", finished: 200 },
      "junk",
    ],
  });
  assert.deepEqual(jobs, [
    { id: 6, target: "mail", code: null, signal: "SIGKILL", finished: 200 },
    { id: 9, target: "build", code: 3, signal: null, finished: 100 },
  ]);
  assert.deepEqual(failedJobsOf({ jobs: "none" }), []);
});

Deno.test("targets: the table's counts beside the workers serving each, limits summed", () => {
  const report = assembleReport(gathered({
    workers: [
      {
        name: "w1",
        address: "127.0.0.1:4001",
        targets: ["build", "mail"],
        lastHeardAt: 1_799_999_999_900,
        status: ok({
          targets: {
            build: { paused: false, concurrency: 2, length: 1 },
            mail: { paused: true, concurrency: 1, length: 0 },
          },
          pendingResultWrites: 4,
        }),
      },
      {
        name: "w2",
        address: "127.0.0.1:4002",
        targets: ["build"],
        lastHeardAt: 1_799_999_990_000,
        status: ok({ targets: { build: { paused: false, concurrency: 3, length: 3 } } }),
      },
    ],
    stats: ok({ targets: { build: counts(46, 4, 72), old: counts(0, 1) }, time: 1_800_000_000 }),
  }));
  assert.equal(report.time, 1_800_000_000);
  assert.deepEqual(report.workers[0], {
    name: "w1",
    address: "127.0.0.1:4001",
    lastHeard: 1_799_999_999,
    answering: true,
    targets: [
      { name: "build", running: 1, limit: 2, paused: false },
      { name: "mail", running: 0, limit: 1, paused: true },
    ],
    pendingResultWrites: 4,
  });
  assert.deepEqual(report.targets, [
    {
      name: "build",
      waiting: 46,
      delayed: 1,
      retrying: 3,
      running: 2,
      failedLastHour: 4,
      okLastHour: 5,
      timedOutLastHour: 1,
      oldestWaitingAge: 72,
      workers: ["w1", "w2"],
      limit: 5,
      pausedOn: [],
    },
    {
      // Served, but no rows: zeros, since `stats` answered.
      name: "mail",
      waiting: 0,
      delayed: 0,
      retrying: 0,
      running: 0,
      failedLastHour: 0,
      okLastHour: 0,
      timedOutLastHour: 0,
      oldestWaitingAge: null,
      workers: ["w1"],
      limit: 1,
      pausedOn: ["w1"],
    },
    {
      // Rows, but no worker serving it.
      name: "old",
      waiting: 0,
      delayed: 1,
      retrying: 3,
      running: 2,
      failedLastHour: 1,
      okLastHour: 5,
      timedOutLastHour: 1,
      oldestWaitingAge: null,
      workers: [],
      limit: 0,
      pausedOn: [],
    },
  ]);
  assert.deepEqual(report.problems, []);
});

Deno.test("a worker that did not answer: its targets unknown, counts unknown, both said", () => {
  const report = assembleReport(gathered({
    workers: [{
      name: "w1",
      address: "10.0.0.5:4001",
      targets: ["build"],
      lastHeardAt: 1_799_999_000_000,
      status: failed("worker 'w1' did not answer: Request timed out after 3 s"),
    }],
    stats: failed("stats not done: worker 'w1' did not answer: Request timed out after 3 s"),
    failures: failed("jobs not done: worker 'w1' did not answer"),
    schedules: ok({ schedules: [], errors: { w1: "worker 'w1' did not answer: closed" } }),
  }));
  assert.equal(report.workers[0].answering, false);
  assert.equal(report.workers[0].error, "worker 'w1' did not answer: Request timed out after 3 s");
  assert.deepEqual(report.workers[0].targets, [
    { name: "build", running: null, limit: null, paused: false },
  ]);
  assert.equal(report.targets[0].waiting, null);
  assert.equal(report.targets[0].failedLastHour, null);
  assert.equal(report.targets[0].retrying, null);
  assert.equal(report.targets[0].timedOutLastHour, null);
  assert.deepEqual(report.failures, []);
  assert.deepEqual(report.problems, [
    "status: worker 'w1' did not answer: Request timed out after 3 s",
    "stats: worker 'w1' did not answer: Request timed out after 3 s",
    "last failures: worker 'w1' did not answer",
    "schedules: worker 'w1' did not answer: closed",
  ]);
});

Deno.test("targets a worker's stats left out (past its bound) are said among the problems", () => {
  const report = assembleReport(gathered({
    workers: [{
      name: "w1",
      address: "10.0.0.5:4001",
      targets: [],
      lastHeardAt: 1_799_999_000_000,
      status: ok({ targets: {} }),
    }],
    stats: ok({ targets: {}, time: 1_800_000_000, omittedTargets: 90_000 }),
  }));
  assert.deepEqual(report.problems, [
    "stats: 90000 more targets with rows are not counted here (the answer lists the busiest)",
  ]);
});

Deno.test("failures carry their stderr tail, or why it could not be read", () => {
  const report = assembleReport(gathered({
    failures: ok({
      jobs: [
        { id: 12, target: "build", code: 3, signal: null, finished: 20 },
        { id: 11, target: "build", code: 1, signal: null, finished: 10 },
      ],
    }),
    stderr: new Map([
      [12, { tail: "disk full", cut: false }],
      [11, { error: "job 11 not found" }],
    ]),
  }));
  assert.deepEqual(report.failures, [
    {
      id: 12,
      target: "build",
      code: 3,
      signal: null,
      finished: 20,
      stderrTail: "disk full",
      stderrCut: false,
    },
    {
      id: 11,
      target: "build",
      code: 1,
      signal: null,
      finished: 10,
      stderrTail: null,
      stderrCut: false,
      error: "job 11 not found",
    },
  ]);
});

Deno.test("schedules: read with care, long texts cut, sorted by name", () => {
  const report = assembleReport(gathered({
    schedules: ok({
      schedules: [
        {
          name: "nightly",
          target: "build",
          rule: "cron 0 3 * * *",
          served: true,
          enabled: true,
          nextRunAt: 1_800_010_800,
          lastRunAt: null,
          lastJobId: 7,
          lastStatus: "done",
          lastResult: "fail",
          runs: 1,
          paused: true,
          finished: false,
          workers: ["w1", 5],
        },
        { name: "orphan", target: "nobody", rule: "x".repeat(5000), problem: "no worker" },
        { name: 3, target: "build" },
      ],
    }),
  }));
  assert.deepEqual(report.schedules.map((schedule) => schedule.name), ["nightly", "orphan"]);
  assert.deepEqual(report.schedules[0], {
    name: "nightly",
    target: "build",
    rule: "cron 0 3 * * *",
    nextRunAt: 1_800_010_800,
    lastRunAt: null,
    lastJobId: 7,
    lastStatus: "done",
    lastResult: "fail",
    paused: true,
    finished: false,
    workers: ["w1"],
  });
  assert.equal(report.schedules[1].rule.length, 1025);
  assert.equal(report.schedules[1].problem, "no worker");
  assert.equal(report.schedules[1].paused, false);
});

Deno.test("a problem line names the part once: a part past its deadline reads as such", () => {
  const report = assembleReport(gathered({
    workers: [{
      name: "w1",
      address: "10.0.0.5:4001",
      targets: ["build"],
      lastHeardAt: 1_799_999_000_000,
      status: ok({ targets: { build: { concurrency: 1, length: 0, paused: false } } }),
    }],
    stats: failed("no answer within 5 s"),
    failures: failed("Cannot read the jobs table: the database is away"),
  }));
  assert.deepEqual(report.problems, [
    "stats: no answer within 5 s",
    "last failures: Cannot read the jobs table: the database is away",
  ]);
});

Deno.test("no worker registered: one problem says so, not one per part", () => {
  const report = assembleReport(gathered({
    stats: failed("stats not done: no worker is registered"),
    failures: failed("jobs not done: no worker is registered"),
  }));
  assert.deepEqual(report.problems, [NO_WORKER]);
  assert.deepEqual(report.targets, []);
});

Deno.test("targets: three workers at the most targets each (10,000) make one row per target with every server", () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
  const worker = (name: string) => ({
    name,
    address: "127.0.0.1:4001",
    targets: names,
    lastHeardAt: 1_799_999_999_900,
    status: ok({
      targets: Object.fromEntries(
        names.map((target) => [target, { paused: false, concurrency: 2, length: 0 }]),
      ),
    }),
  });
  const report = assembleReport(gathered({ workers: [worker("w1"), worker("w2"), worker("w3")] }));
  assert.equal(report.targets.length, names.length);
  for (const row of report.targets) {
    assert.deepEqual([row.workers, row.limit], [["w1", "w2", "w3"], 6]);
  }
});
