import assert from "node:assert/strict";
import { limitRunTime, timedOutNote } from "./job_timeout.ts";
import { launchJob } from "./launcher.ts";
import { shellJob } from "../../tests/helpers/shell_job.ts";

Deno.test("a job past its limit gets SIGTERM and says so at the end of its stderr", async () => {
  const start = Date.now();
  const launched = launchJob(7, shellJob("echo partial; echo warn >&2; exec sleep 60"));
  const outcome = await limitRunTime(7, launched, { seconds: 0.5, graceSeconds: 5 });
  assert.ok(Date.now() - start < 5000, "ends at the limit, not after the sleep");
  assert.deepEqual(outcome, {
    result: "fail",
    code: null,
    signal: "SIGTERM",
    stdout: "partial\n",
    stderr: `warn\n${timedOutNote(0.5)}`,
  });
});

Deno.test("a job that ignores SIGTERM gets SIGKILL after the grace", async () => {
  const launched = launchJob(7, shellJob("trap '' TERM; exec sleep 60"));
  const outcome = await limitRunTime(7, launched, { seconds: 0.3, graceSeconds: 0.3 });
  assert.equal(outcome.signal, "SIGKILL");
  assert.equal(outcome.stderr, timedOutNote(0.3));
});

Deno.test("a job that traps SIGTERM and exits is still a timed-out failure with the signal sent", async () => {
  const launched = launchJob(7, shellJob("trap 'exit 0' TERM; while :; do sleep 0.05; done"));
  const outcome = await limitRunTime(7, launched, { seconds: 0.3, graceSeconds: 5 });
  assert.deepEqual([outcome.result, outcome.code, outcome.signal], ["fail", 0, "SIGTERM"]);
});

Deno.test("a job within its limit, or without one, ends as it ends", async () => {
  const quick = await limitRunTime(7, launchJob(7, shellJob("echo hi")), {
    seconds: 30,
    graceSeconds: 1,
  });
  assert.deepEqual(quick, { result: "ok", code: 0, signal: null, stdout: "hi\n", stderr: "" });
  const unlimited = await limitRunTime(7, launchJob(7, shellJob("exit 3")), undefined);
  assert.equal(unlimited.code, 3);
});

Deno.test("a job whose child ignores SIGTERM is killed with its process group", async () => {
  const start = Date.now();
  const launched = launchJob(7, shellJob("sh -c \"trap '' TERM; exec sleep 60\" & wait"));
  const outcome = await limitRunTime(7, launched, { seconds: 0.3, graceSeconds: 0.5 });
  assert.ok(Date.now() - start < 10_000, "the child does not outlive the grace");
  assert.equal(outcome.result, "fail");
  assert.ok(outcome.stderr.endsWith(timedOutNote(0.3)));
});
