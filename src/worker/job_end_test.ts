import assert from "node:assert/strict";
import type { JobOutcome } from "../job.ts";
import { formatRunTime, type JobEnd, jobEndLine } from "./job_end.ts";

function outcome(fields: Partial<JobOutcome>): JobOutcome {
  return { result: "fail", code: null, signal: null, stdout: "", stderr: "", ...fields };
}

/** The line as the text format renders its template. */
function rendered(end: JobEnd): { level: string; text: string } {
  const line = jobEndLine(end);
  const text = line.message.replace(/\{(\w+)\}/g, (_, key) => String(line.properties[key]));
  return { level: line.level, text };
}

const base = { id: 7, target: "build", ms: 1234 };

Deno.test("a job that succeeded ends at info, with its target and run time", () => {
  assert.deepEqual(rendered({ ...base, outcome: outcome({ result: "ok", code: 0 }) }), {
    level: "info",
    text: "Job 7 of build ended: ok, exit code 0, after 1.2 s",
  });
});

Deno.test("a non-zero exit is a warning naming the code", () => {
  assert.deepEqual(rendered({ ...base, outcome: outcome({ code: 3 }) }), {
    level: "warn",
    text: "Job 7 of build ended: fail, exit code 3, after 1.2 s",
  });
});

Deno.test("a signal is a warning naming the signal", () => {
  assert.equal(
    rendered({ ...base, outcome: outcome({ signal: "SIGKILL" }) }).text,
    "Job 7 of build ended: fail, killed by SIGKILL, after 1.2 s",
  );
});

Deno.test("a timeout says the limit and the signal that stopped the job", () => {
  assert.equal(
    rendered({ ...base, ms: 5100, timedOutAfter: 5, outcome: outcome({ signal: "SIGTERM" }) })
      .text,
    "Job 7 of build ended: fail, timed out after 5 s (SIGTERM), after 5.1 s",
  );
});

Deno.test("a launcher that could not start says why", () => {
  const line = rendered({
    ...base,
    ms: 2,
    outcome: outcome({ stderr: "Cannot start job 7: the launcher '/nope' does not exist" }),
  });
  assert.equal(line.level, "warn");
  assert.equal(
    line.text,
    "Job 7 of build ended: fail, not started: Cannot start job 7: the launcher '/nope' does " +
      "not exist, after 2 ms",
  );
});

Deno.test("the line's values carry the numbers for JSON readers", () => {
  const { properties } = jobEndLine({ ...base, outcome: outcome({ code: 3 }) });
  assert.equal(properties.durationMs, 1234);
  assert.equal(properties.code, 3);
  assert.equal(properties.signal, null);
});

Deno.test("run times read as people say them", () => {
  assert.equal(formatRunTime(350), "350 ms");
  assert.equal(formatRunTime(59_940), "59.9 s");
  assert.equal(formatRunTime(185_000), "3 min 5 s");
});
