import assert from "node:assert/strict";
import { parseCommandLine } from "./args.ts";
import type { Command } from "./command.ts";
import { findCommand, MASTER_COMMANDS, WORKER_COMMANDS } from "./commands.ts";
import { limitNote } from "./control_commands.ts";
import { PLAIN } from "./table.ts";
import { UsageError } from "./usage_error.ts";

function command(mode: "worker" | "master", name: string): Command {
  const found = findCommand(mode, name);
  assert.ok(found, `no ${mode} command '${name}'`);
  return found;
}

function refused(mode: "worker" | "master", name: string, args: string[]): UsageError {
  try {
    command(mode, name).plan(args);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.equal(error.hint, `Try 'jobctl ${name} --help'`);
    return error;
  }
  assert.fail(`${mode} ${name} ${args.join(" ")} was accepted`);
}

/** The job board's commands, the same for the worker and the master (schedule_commands.ts). */
const SCHEDULE_COMMAND_NAMES = ["schedules", "schedule-run", "schedule-pause", "schedule-resume"];

Deno.test("the worker has the commands of the older jobctl and the rest of its requests", () => {
  assert.deepEqual(WORKER_COMMANDS.map((c) => c.name), [
    "list-targets",
    "memory-usage",
    "status",
    "poll",
    "pause",
    "continue",
    "set-target-concurrency",
    "add-target",
    "remove-target",
    "run-manual",
    "send-signal",
    "jobs",
    "show",
    "stats",
    "retry",
    "add",
    ...SCHEDULE_COMMAND_NAMES,
  ]);
});

Deno.test("the master has the commands of the older jobctl and the rest of its requests", () => {
  assert.deepEqual(MASTER_COMMANDS.map((c) => c.name), [
    "list-workers",
    "memory-usage",
    "status",
    "poke",
    "pause",
    "continue",
    "run-manual",
    "send-signal",
    "jobs",
    "show",
    "stats",
    "retry",
    "add",
    ...SCHEDULE_COMMAND_NAMES,
  ]);
});

Deno.test("every command has a summary and an example that runs it", () => {
  for (const c of [...WORKER_COMMANDS, ...MASTER_COMMANDS]) {
    assert.ok(c.summary.length > 0, c.name);
    const prefix = c.mode === "master" ? "jobctl --master " : "jobctl ";
    assert.ok(c.example.startsWith(`${prefix}${c.name}`), `${c.mode} ${c.name}: ${c.example}`);
    // The example's own arguments and options are accepted.
    const line = parseCommandLine(c.example.split(" ").slice(1));
    assert.equal(line.action, "run");
    if (line.action === "run") c.plan(line.args, line.commandOptions);
  }
});

Deno.test("commands without arguments refuse extra ones", () => {
  assert.equal(
    refused("worker", "list-targets", ["x"]).message,
    "'list-targets' takes no arguments, got 1",
  );
  refused("master", "list-workers", ["x"]);
});

Deno.test("poll and poke need at least one target; pause and continue do not", () => {
  assert.equal(refused("worker", "poll", []).message, "'poll' needs at least one target");
  assert.equal(refused("master", "poke", []).message, "'poke' needs at least one target");
  for (const mode of ["worker", "master"] as const) {
    command(mode, "pause").plan([]);
    command(mode, "continue").plan([]);
  }
});

Deno.test("set-target-concurrency and add-target take a target and an integer ≥ 1", () => {
  assert.equal(
    refused("worker", "set-target-concurrency", ["build"]).message,
    "'set-target-concurrency' takes 2 arguments (TARGET N), got 1",
  );
  assert.equal(
    refused("worker", "add-target", ["build", "0"]).message,
    "invalid concurrency '0': expected an integer from 1 to 10000",
  );
  assert.equal(
    refused("worker", "remove-target", []).message,
    "'remove-target' takes 1 argument (TARGET), got 0",
  );
});

Deno.test("run-manual takes job ids (worker) or TARGET:ID pairs (master)", () => {
  assert.equal(
    refused("worker", "run-manual", []).message,
    "'run-manual' needs at least one job id",
  );
  assert.equal(
    refused("worker", "run-manual", ["12", "abc"]).message,
    "invalid job id 'abc': expected an integer from 1 to 9007199254740991",
  );
  assert.equal(refused("worker", "run-manual", ["12", "12"]).message, "job id 12 is given twice");
  assert.equal(
    refused("master", "run-manual", ["12"]).message,
    "invalid argument '12': expected TARGET:ID",
  );
  assert.equal(
    refused("master", "run-manual", ["build:x"]).message,
    "invalid job id 'x': expected an integer from 1 to 9007199254740991",
  );
});

Deno.test("send-signal takes ID SIGNAL pairs (worker) or TARGET:ID:SIGNAL (master)", () => {
  assert.equal(
    refused("worker", "send-signal", ["12"]).message,
    "'send-signal' takes pairs of ID SIGNAL, got 1 argument",
  );
  assert.equal(
    refused("worker", "send-signal", ["12", "TERM", "13"]).message,
    "'send-signal' takes pairs of ID SIGNAL, got 3 arguments",
  );
  assert.match(refused("worker", "send-signal", ["12", "-"]).message, /^invalid signal '-'/);
  assert.equal(
    refused("master", "send-signal", ["build:12"]).message,
    "invalid argument 'build:12': expected TARGET:ID:SIGNAL",
  );
});

Deno.test("requests that answer 'ok' are confirmed in words", () => {
  const render = (mode: "worker" | "master", name: string, args: string[]) =>
    command(mode, name).plan(args).render("ok", PLAIN).text;
  assert.equal(render("worker", "poll", ["a", "b"]), "Asked the worker to poll 'a', 'b'\n");
  assert.equal(render("worker", "pause", []), "Paused all targets\n");
  assert.equal(render("worker", "continue", ["a"]), "Resumed 'a'\n");
  assert.equal(
    render("worker", "set-target-concurrency", ["a", "3"]),
    "Set the concurrency of 'a' to 3\n",
  );
  assert.equal(render("worker", "add-target", ["a", "2"]), "Added target 'a' with concurrency 2\n");
  assert.equal(render("worker", "remove-target", ["a"]), "Removed target 'a'\n");
  assert.equal(render("master", "poke", ["a"]), "Poked 'a'\n");
  assert.equal(render("master", "pause", ["a"]), "Paused 'a' on the workers serving them\n");
  // A name with a bidirectional override reads as the table shows it, not reversed; a target
  // name cannot have one at all.
  assert.throws(() => command("worker", "add-target").plan(["\u202ex", "1"]), /U\+202E/);
  assert.equal(render("worker", "schedule-pause", ["\u202es"]), "Paused schedule '\\u202es'\n");
  assert.equal(render("master", "schedule-resume", ["\u202es"]), "Resumed schedule '\\u202es'\n");
});

Deno.test("the worker's memory-usage also shows pendingJobPromises", () => {
  const text = command("worker", "memory-usage").plan([]).render({
    targets: {},
    jobPromisesCount: 3,
    memoryUsage: { rss: 2048, heapTotal: 1024, heapUsed: 512, external: 0 },
  }, PLAIN).text;
  assert.match(text, /^pendingJobPromises \| +3$/m);
  assert.match(text, /^rss +\| +2\.0 KiB$/m);
});

Deno.test("master send-signal matches each job to its result or its routing error", () => {
  const rendered = command("master", "send-signal").plan(["build:5:TERM", "gone:6:9"]).render(
    { "5": true, errors: { "6": "worker serving target 'gone' not found" } },
    PLAIN,
  );
  assert.match(rendered.text, /^ 5 \| build +\| SIGTERM \| delivered$/m);
  assert.match(
    rendered.text,
    /^ 6 \| gone +\| SIGKILL \| error: worker serving target 'gone' not found$/m,
  );
  assert.equal(rendered.failure, "1 of 2 signals were not delivered");
});

Deno.test("send-signal shows a signal given by number by its name, on a worker and a master", () => {
  const worker = command("worker", "send-signal").plan(["5", "9", "6", "34"]).render(
    { "5": true, "6": true },
    PLAIN,
  );
  assert.match(worker.text, /^ 5 \| SIGKILL \| delivered$/m);
  // A real-time signal has no name: its number stays.
  assert.match(worker.text, /^ 6 \| 34 +\| delivered$/m);
  const master = command("master", "send-signal").plan(["build:5:9"]).render({ "5": true }, PLAIN);
  assert.match(master.text, /^ 5 \| build +\| SIGKILL \| delivered$/m);
});

Deno.test("master schedules shows the boards that answered and fails for the workers that did not", () => {
  const rendered = command("master", "schedules").plan([]).render(
    { schedules: [], errors: { w2: "no answer within 30 s" } },
    PLAIN,
  );
  assert.match(rendered.text, /^w2: no answer within 30 s$/m);
  assert.equal(rendered.failure, "some workers did not answer");
  const complete = command("master", "schedules").plan([]).render({ schedules: [] }, PLAIN);
  assert.equal(complete.failure, undefined);
});

Deno.test("whatever a daemon sends reaches the terminal with its control characters escaped", () => {
  const status = command("worker", "status").plan([]).render({
    targets: { "x\x1b[31mRED": { concurrency: 1, length: 0, paused: false } },
    jobPromisesCount: 0,
    memoryUsage: { rss: 2048, heapTotal: 1024, heapUsed: 512, external: 0 },
  }, { color: true });
  assert.match(status.text, /^x\\x1b\[31mRED \| +1 \|/m);
  // The only escape sequences left are jobctl's own colours.
  const colours = new RegExp(String.raw`\x1b\[\d+m`, "g");
  assert.equal(status.text.replaceAll(colours, "").includes("\x1b"), false);

  const shown = command("worker", "show").plan(["7"]).render({
    job: { id: 7, target: "build", result: "fail\x07", stderr: "boom\r\x1b[2Kfine\n" },
  }, PLAIN);
  assert.match(shown.text, /^result +\| fail\\x07$/m);
  assert.match(shown.text, /^boom\\x0d\\x1b\[2Kfine$/m);

  const signals = command("master", "send-signal").plan(["build:5:TERM"]).render(
    { errors: { "5": "worker 'w\x1b]0;owned\x07' did not answer" } },
    PLAIN,
  );
  assert.match(signals.text, /error: worker 'w\\x1b\]0;owned\\x07' did not answer$/m);
});

Deno.test("a bidi override or zero-width character a daemon sends cannot make jobctl's output lie", () => {
  const status = command("worker", "status").plan([]).render({
    targets: { "mail\u202Eliam": { concurrency: 1, length: 0, paused: false } },
    jobPromisesCount: 0,
    memoryUsage: { rss: 2048, heapTotal: 1024, heapUsed: 512, external: 0 },
  }, PLAIN);
  assert.match(status.text, /^mail\\u202eliam \| +1 \|/m);
  const shown = command("worker", "show").plan(["7"]).render({
    job: { id: 7, target: "build", result: "ok", stdout: "ok\u2066 (no errors)\u2069\u200B\n" },
  }, PLAIN);
  assert.match(shown.text, /^ok\\u2066 \(no errors\)\\u2069\\u200b$/m);
  assert.equal(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069]/.test(status.text + shown.text), false);
});

Deno.test("job output with CRLF line ends is shown without an escape on each line", () => {
  const shown = command("worker", "show").plan(["7"]).render({
    job: { id: 7, target: "build", result: "ok", stdout: "line 1\r\nline 2\r\n" },
  }, PLAIN);
  assert.match(shown.text, /^line 1\r\nline 2\r$/m);
  assert.doesNotMatch(shown.text, /\\x0d/);
  const ran = command("worker", "run-manual").plan(["7"]).render({
    jobs: { "7": { result: "ok", code: 0, signal: null, stdout: "a\r\nb\r\n", stderr: "" } },
  }, PLAIN);
  assert.doesNotMatch(ran.text, /\\x0d/);
  assert.match(ran.text, /^a\r\nb\r$/m);
});

Deno.test("jobs notes a list as long as its limit, naming the limit and how to see more", () => {
  assert.equal(limitNote(19, undefined), undefined);
  assert.equal(
    limitNote(20, undefined),
    "the newest 20 rows are shown (--limit 20, the default); there may be more: give a larger " +
      "--limit (up to 1000) or narrow with --target, --status, --result",
  );
  assert.match(limitNote(1, 1)!, /^only the newest row is shown \(--limit 1\); /);
  assert.equal(
    limitNote(1000, 1000),
    "the newest 1000 rows are shown, the most one request gives; there may be more: narrow " +
      "with --target, --status, --result",
  );
});
