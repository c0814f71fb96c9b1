/**
 * `deno task quickstart` end to end: it runs the real master, worker and
 * jobctl on a temporary SQLite file, shows every job done, and leaves
 * nothing behind.
 */

import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };
import { QUICKSTART_FLAGS, QUICKSTART_TASK } from "../scripts/quickstart.ts";
import { ROOT } from "./helpers/processes.ts";

Deno.test("deno task quickstart runs scripts/quickstart.ts with the quick start's flags", () => {
  const tasks: Record<string, string> = manifest.tasks;
  assert.equal(tasks.quickstart, QUICKSTART_TASK);
});

Deno.test("the quick start runs every job to done, uses jobctl, cleans up and exits 0", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...QUICKSTART_FLAGS, `${ROOT}scripts/quickstart.ts`],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the quick start failed:\n${stdout}\n${stderr}`);

  const total = Number(stdout.match(/^All (\d+) jobs done\./m)?.[1]);
  assert.equal(total, 11, "7 background jobs, 2 manual ones, a deferred one and a retried one");
  const done = [
    ...stdout.matchAll(/^ {2}job (\d+) \((reports|mail)\): done, ok \(exit code 0\): /gm),
  ]
    .map((match) => Number(match[1]));
  assert.deepEqual(
    [...new Set(done)].sort((a, b) => a - b),
    Array.from({ length: total }, (_, index) => index + 1),
    "every job is shown done and ok",
  );

  assert.match(stdout, /^ {2}\$ jobctl --master --port \d+ run-manual reports:9$/m);
  assert.match(
    stdout,
    /^ {2}job 10 \(mail\): done, ok .*\[started [01] s after its time_run_at\]$/m,
    "the deferred job starts at its time",
  );
  assert.match(
    stdout,
    /^ {2}job 11 \(mail\): delayed, fail \(exit code 75\).*\[attempt 1 failed/m,
    "the retried job waits as delayed after its failed attempt",
  );
  assert.match(stdout, /^ {2}job 11 \(mail\): done, ok \(exit code 0\).*\[attempt 2\]$/m);
  assert.match(
    stdout,
    /^ {4}WORKER +\| ADDRESS +\| TARGET/m,
    "jobctl list-workers shows its table",
  );
  assert.match(stdout, /^ {4}quickstart +\| 127\.0\.0\.1:\d+ +\| reports /m);
  assert.equal(
    stdout.match(/^ {2}scheduled job \d+ \(mail\): done, ok/gm)?.length,
    2,
    "the job board's schedule fired twice and its rows ran",
  );
  assert.ok(!stdout.includes("\r"), "no progress redraws when stdout is not a terminal");

  const dir = stdout.match(/and removed (\/\S+)$/m)?.[1];
  assert.ok(dir, "the output names the temporary directory");
  await assert.rejects(Deno.stat(dir), Deno.errors.NotFound, "the temporary directory is gone");
});
