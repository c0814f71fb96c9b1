import assert from "node:assert/strict";
import {
  formatDuration,
  jobsTable,
  retryReport,
  statsTable,
  targetsWithWaitingTable,
} from "./control_reports.ts";
import { PLAIN } from "./table.ts";

Deno.test("durations read in the two largest units", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59), "59s");
  assert.equal(formatDuration(125), "2m05s");
  assert.equal(formatDuration(3 * 3600 + 7 * 60 + 5), "3h07m");
  assert.equal(formatDuration(2 * 86_400 + 4 * 3600), "2d04h");
});

Deno.test("the jobs table shows a code or a signal, a running job's time so far, '-' for no value and UTC times", () => {
  const text = jobsTable(
    [
      {
        id: 12,
        target: "build",
        status: "running",
        result: null,
        code: null,
        signal: null,
        created: 1000,
        started: 1000,
        finished: 0,
      },
      {
        id: 11,
        target: "build",
        status: "done",
        result: "fail",
        code: null,
        signal: "SIGKILL",
        created: 900,
        started: 900,
        finished: 965,
      },
    ],
    PLAIN,
    1030,
  );
  const lines = text.split("\n");
  assert.match(
    lines[0],
    /^ID \| TARGET \| STATUS +\| RESULT \| +CODE \| CREATED +\| STARTED +\| +DURATION$/,
  );
  assert.match(
    lines[2],
    /^12 \| build +\| running \| - +\| +- \| 1970-01-01 00:16:40 UTC \| 1970-01-01 00:16:40 UTC \| 30s so far$/,
  );
  assert.match(lines[3], /^11 \| build +\| done +\| fail +\| SIGKILL \| .* \| +1m05s$/);
  assert.equal(jobsTable([], PLAIN, 0), "No jobs found\n");
});

Deno.test("retry lists each id's outcome and fails when any was refused", () => {
  const rendered = retryReport(
    { retried: [1], targets: ["b"], errors: { 2: "status = running is not final" } },
    [1, 2],
    PLAIN,
  );
  assert.match(rendered.text, /^ 1 \| waiting again$/m);
  assert.match(rendered.text, /^ 2 \| refused: status = running is not final$/m);
  assert.equal(rendered.failure, "1 of 2 jobs were not retried");
});

Deno.test("stats shows '-' as the oldest waiting age of a target with no waiting row", () => {
  const done = { ok: 3, fail: 0 };
  const target = {
    waiting: 0,
    delayed: 0,
    manual: 0,
    accepted: 0,
    running: 1,
    lastHour: done,
    lastDay: done,
    timedOut: { lastHour: 0, lastDay: 0 },
    retrying: null,
    oldestWaitingAge: null,
  };
  const text = statsTable(
    { targets: { idle: target, busy: { ...target, waiting: 2, oldestWaitingAge: 75 } }, time: 0 },
    PLAIN,
  );
  assert.match(text, /^idle +\| +0 \|.* \| +-$/m);
  assert.match(text, /^busy +\| +2 \|.* \| +1m15s$/m);
  assert.doesNotMatch(text, /not listed/);
  const bounded = statsTable({ targets: { busy: target }, time: 0, omittedTargets: 12 }, PLAIN);
  assert.match(
    bounded,
    /\n12 more targets with rows not listed: the answer lists the 1 with the most unfinished rows\n$/,
  );
});

Deno.test("the targets table lists targets by name with concurrency, length, paused state and waiting rows", () => {
  const text = targetsWithWaitingTable({
    t10: { concurrency: 1, length: 0, paused: false, waiting: 7 },
    t2: { concurrency: 12, length: 3, paused: true },
  }, PLAIN);
  assert.equal(
    text,
    [
      "TARGET | CONCURRENCY | LENGTH | PAUSED | WAITING",
      "------ | ----------- | ------ | ------ | -------",
      "t2     |          12 |      3 | yes    |       ?",
      "t10    |           1 |      0 | no     |       7",
      "",
    ].join("\n"),
  );
});
