import assert from "node:assert/strict";
import { formatDuration, formatTime, jobsTable, retryReport } from "./control_reports.ts";
import { PLAIN } from "./table.ts";

Deno.test("durations read in the two largest units", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59), "59s");
  assert.equal(formatDuration(125), "2m05s");
  assert.equal(formatDuration(3 * 3600 + 7 * 60 + 5), "3h07m");
  assert.equal(formatDuration(2 * 86_400 + 4 * 3600), "2d04h");
});

Deno.test("times are UTC to the second; 0 is empty", () => {
  assert.equal(formatTime(Date.UTC(2026, 11, 24, 18, 0, 5) / 1000), "2026-12-24 18:00:05");
  assert.equal(formatTime(0), "");
  assert.equal(formatTime(null), "");
});

Deno.test("the jobs table shows a code or a signal, and a running job's time so far", () => {
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
    /^12 \| build +\| running \| +\| +\| 1970-01-01 00:16:40 \| 1970-01-01 00:16:40 \| 30s so far$/,
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
