import assert from "node:assert/strict";
import { RequestError } from "../net/errors.ts";
import { MAX_TARGET_NAME_LENGTH } from "../target_names.ts";
import { MAX_LIST_ITEMS } from "./limits.ts";
import {
  readAddRequest,
  readConcurrency,
  readExpectedTargets,
  readJobId,
  readJobIds,
  readJobsQuery,
  readNewTargetName,
  readOptionalTargets,
  readPokeTargets,
  readPollWorkers,
  readRegistration,
  readRetryIds,
  readScheduleName,
  readSignal,
  readSignalMap,
  readTargetedJobs,
  readTargetedSignals,
  readTargetName,
  servedTarget,
} from "./validate.ts";

function refused(read: () => unknown, text: string): void {
  assert.throws(read, (error) => error instanceof RequestError && error.message === text);
}

Deno.test("register-worker needs a non-empty name", () => {
  for (const name of [undefined, "", "  ", 5, null]) {
    refused(() => readRegistration({ name, targets: [] }), "name is missing or invalid");
  }
});

Deno.test("register-worker takes a name of at most 255 characters, as the worker's config", () => {
  const longest = "w".repeat(254) + "😀";
  assert.equal(readRegistration({ name: longest, targets: [] }).name, longest);
  refused(
    () => readRegistration({ name: `${longest}w`, targets: [] }),
    "'name' has 256 characters: at most 255",
  );
  refused(
    () => readRegistration({ name: "w".repeat(80_000), targets: [] }),
    "'name' has 80000 characters: at most 255",
  );
});

Deno.test("register-worker refuses names with control, invisible or broken characters, naming the code point", () => {
  const cases: [string, string][] = [
    ["w\u0000", "invalid worker name 'w\\x00': it contains the control character U+0000"],
    ["w\u001f", "invalid worker name 'w\\x1f': it contains the control character U+001F"],
    ["w\nx", "invalid worker name 'w\\x0ax': it contains the control character U+000A"],
    ["w\u007f", "invalid worker name 'w\\x7f': it contains the control character U+007F"],
    ["w\u009f", "invalid worker name 'w\\x9f': it contains the control character U+009F"],
    [
      "evil\u202e",
      "invalid worker name 'evil\\u202e': it contains U+202E, an invisible format character " +
      "(such as a bidirectional override or a zero-width space), which changes how the text " +
      "around it reads",
    ],
    [
      "w\u200b",
      "invalid worker name 'w\\u200b': it contains U+200B, an invisible format " +
      "character (such as a bidirectional override or a zero-width space), which changes how " +
      "the text around it reads",
    ],
    [
      "w\u2028",
      "invalid worker name 'w\\u2028': it contains U+2028, a line or paragraph separator",
    ],
    ["w\ud800", "invalid worker name 'w\ud800': it contains U+D800, half of a character"],
    ["\udfffw", "invalid worker name '\udfffw': it contains U+DFFF, half of a character"],
  ];
  for (const [name, text] of cases) refused(() => readRegistration({ name, targets: [] }), text);
  // Letters of any script, spaces, punctuation and emoji are names.
  for (const name of ["w1", "Köln build 2", "东京-1", "w😀", "a\u00a0b"]) {
    assert.equal(readRegistration({ name, targets: [] }).name, name);
  }
});

Deno.test("register-worker needs targets: an array of non-empty strings, possibly empty", () => {
  assert.deepEqual(readRegistration({ name: "w1", targets: ["a", "b", "a"] }), {
    name: "w1",
    targets: ["a", "b"],
  });
  assert.deepEqual(readRegistration({ name: "w1", targets: [] }), { name: "w1", targets: [] });
  refused(() => readRegistration({ name: "w1" }), "missing required field targets");
  refused(() => readRegistration({ name: "w1", targets: "a" }), "targets must be array");
  refused(
    () => readRegistration({ name: "w1", targets: ["a", 1] }),
    "all targets must be strings, number given",
  );
  refused(() => readRegistration({ name: "w1", targets: [""] }), "invalid target name ''");
});

Deno.test("the master's target lists follow the rules of every target name, naming the name", () => {
  const long = "t".repeat(MAX_TARGET_NAME_LENGTH + 1);
  const tooLong = `it has ${MAX_TARGET_NAME_LENGTH + 1} characters, more than the ` +
    `${MAX_TARGET_NAME_LENGTH} a target name may have`;
  const reads: [string, (targets: unknown[]) => unknown][] = [
    ["register-worker", (targets) => readRegistration({ name: "w1", targets })],
    ["poke", (targets) => readPokeTargets({ targets })],
    ["pause, continue", (targets) => readOptionalTargets({ targets })],
    [
      "run-manual",
      (targets) => readTargetedJobs({ jobs: targets.map((target) => ({ id: 1, target })) }),
    ],
    [
      "send-signal",
      (targets) =>
        readTargetedSignals({ jobs: targets.map((target) => ({ id: 1, target, signal: 15 })) }),
    ],
  ];
  for (const [request, read] of reads) {
    assert.doesNotThrow(() => read(["build", "😀", "x".repeat(MAX_TARGET_NAME_LENGTH)]), request);
    refused(() => read(["build", long]), `invalid target name '${long}': ${tooLong}`);
    refused(
      () => read(["a\nb"]),
      "invalid target name 'a\\x0ab': it contains the control character U+000A",
    );
    // Shown escaped, so that the refusal does not reorder the text it is read in.
    assert.throws(
      () => read(["\u202Ebuild"]),
      (error: unknown) =>
        error instanceof RequestError &&
        error.message.startsWith(
          "invalid target name '\\u202ebuild': it contains U+202E, an invisible",
        ),
      request,
    );
    refused(() => read(["null"]), "invalid target name 'null'");
    // A huge name is named by its beginning: the error stays small.
    const huge = "h".repeat(9 * 1024 * 1024);
    assert.throws(() => read([huge]), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.ok(error.message.length < 3 * MAX_TARGET_NAME_LENGTH, request);
      assert.ok(
        error.message.startsWith(
          `invalid target name '${"h".repeat(2 * MAX_TARGET_NAME_LENGTH)}…': it has`,
        ),
        request,
      );
      return true;
    });
  }
  const served = servedTarget(new Set(["a"]));
  assert.throws(() => readOptionalTargets({ targets: ["x".repeat(100_000)] }, served), {
    message: `invalid target '${"x".repeat(2 * MAX_TARGET_NAME_LENGTH)}…'`,
  });
});

Deno.test("poke requires a non-empty targets array", () => {
  assert.deepEqual(readPokeTargets({ targets: ["a"] }), ["a"]);
  refused(() => readPokeTargets({}), "missing required field targets");
  refused(() => readPokeTargets({ targets: [] }), "targets are empty");
  refused(() => readPokeTargets({ targets: {} }), "targets must be array");
});

Deno.test("pause and continue take all targets when targets is omitted", () => {
  assert.equal(readOptionalTargets({}), undefined);
  assert.deepEqual(readOptionalTargets({ targets: ["a"] }), ["a"]);
  refused(() => readOptionalTargets({ targets: [] }), "targets are empty");
});

Deno.test("status reads poll_workers as a boolean", () => {
  assert.equal(readPollWorkers({}), false);
  assert.equal(readPollWorkers({ poll_workers: true }), true);
  assert.equal(readPollWorkers({ poll_workers: 1 }), true);
  assert.equal(readPollWorkers({ poll_workers: false }), false);
  refused(
    () => readPollWorkers({ poll_workers: "yes" }),
    "'poll_workers' must be boolean, string given",
  );
});

Deno.test("run-manual jobs are {id, target} items with the older master's error texts", () => {
  assert.deepEqual(readTargetedJobs({ jobs: [{ id: 3, target: "a", extra: 1 }] }), [
    { id: 3, target: "a" },
  ]);
  refused(() => readTargetedJobs({}), "jobs must be array");
  refused(() => readTargetedJobs({ jobs: { id: 1 } }), "jobs must be array");
  refused(() => readTargetedJobs({ jobs: [{ target: "a" }] }), "missing required field id");
  refused(() => readTargetedJobs({ jobs: [{ id: "1", target: "a" }] }), "'id' must be integer");
  refused(() => readTargetedJobs({ jobs: [{ id: 1.5, target: "a" }] }), "'id' must be integer");
  refused(
    () => readTargetedJobs({ jobs: [{ id: 0, target: "a" }] }),
    "'id' must be positive, got 0",
  );
  refused(
    () => readTargetedJobs({ jobs: [{ id: 1e300, target: "a" }] }),
    "'id' must be at most 9007199254740991, got 1e+300",
  );
  refused(() => readTargetedJobs({ jobs: [{ id: 1 }] }), "missing required field target");
  refused(() => readTargetedJobs({ jobs: [{ id: 1, target: 2 }] }), "'target' must be string");
  refused(() => readTargetedJobs({ jobs: [5] }), "every job must be an object, number given");
});

Deno.test("send-signal takes a signal number or name for each job", () => {
  assert.deepEqual(
    readTargetedSignals({
      jobs: [{ id: 1, target: "a", signal: 15 }, { id: 2, target: "a", signal: "SIGKILL" }],
    }),
    [{ id: 1, target: "a", signal: 15 }, { id: 2, target: "a", signal: "SIGKILL" }],
  );
  refused(
    () => readTargetedSignals({ jobs: [{ id: 1, target: "a", signal: 1.5 }] }),
    "'signal' must be integer",
  );
  refused(
    () => readTargetedSignals({ jobs: [{ id: 1, target: "a", signal: {} }] }),
    "'signal' must be integer",
  );
  refused(
    () => readTargetedSignals({ jobs: [{ id: 1, target: "a" }] }),
    "missing required field signal",
  );
});

Deno.test("send-signal refuses a name or number that is no signal, naming it and its job", () => {
  refused(
    () =>
      readTargetedSignals({
        jobs: [{ id: 1, target: "a", signal: "TERM" }, { id: 2, target: "a", signal: "SIGFOO" }],
      }),
    "unknown signal 'SIGFOO' for job 2",
  );
  refused(
    () => readTargetedSignals({ jobs: [{ id: 3, target: "a", signal: 99 }] }),
    "unknown signal '99' for job 3",
  );
});

Deno.test("readSignal names the value and the job when it is no signal", () => {
  assert.equal(readSignal("term", 5), "SIGTERM");
  assert.equal(readSignal(9, "5"), "SIGKILL");
  refused(() => readSignal("SIGFOO", 5), "unknown signal 'SIGFOO' for job 5");
  refused(() => readSignal(64, 5), "unknown signal '64' for job 5");
  refused(() => readSignal("", 5), "unknown signal '' for job 5");
  refused(
    () => readSignal("X".repeat(1000), 5),
    `unknown signal '${"X".repeat(40)}...' for job 5`,
  );
  refused(
    () => readSignal(true, 5),
    "the signal for job 5 must be a name or a number, boolean given",
  );
  refused(() => readSignal(null, 5), "the signal for job 5 must be a name or a number, null given");
});

Deno.test("the worker's targets must be names it serves, with the older worker's texts", () => {
  const served = servedTarget(new Set(["a", "b"]));
  assert.equal(readOptionalTargets({}, served), undefined);
  assert.equal(readOptionalTargets({ targets: null }, served), undefined);
  assert.deepEqual(readOptionalTargets({ targets: ["b", "a", "b"] }, served), ["b", "a"]);
  refused(() => readOptionalTargets({ targets: "a" }, served), "targets must be array");
  refused(() => readOptionalTargets({ targets: [] }, served), "targets are empty");
  refused(
    () => readOptionalTargets({ targets: ["a", 2] }, served),
    "all targets must be strings, number given",
  );
  refused(() => readOptionalTargets({ targets: ["a", "c"] }, served), "invalid target 'c'");
  refused(() => readOptionalTargets({ targets: [""] }, served), "invalid target ''");
});

Deno.test("add-target and its kin read a target name and a concurrency of at least 1", () => {
  assert.equal(readTargetName({ target: "t1" }), "t1");
  refused(() => readTargetName({}), "missing required field target");
  refused(() => readTargetName({ target: 5 }), "'target' must be string");
  refused(() => readTargetName({ target: "null" }), "invalid target name 'null'");
  refused(() => readTargetName({ target: "" }), "invalid target name ''");
  // remove-target and set-target-concurrency too: such a name is never served.
  assert.throws(
    () => readTargetName({ target: "t\u2066" }),
    (error: unknown) =>
      error instanceof RequestError &&
      error.message.startsWith("invalid target name 't\\u2066': it contains U+2066, an invisible"),
  );
  assert.equal(readConcurrency({ concurrency: 3 }), 3);
  refused(() => readConcurrency({}), "missing required field concurrency");
  refused(() => readConcurrency({ concurrency: "2" }), "'concurrency' must be integer");
  refused(() => readConcurrency({ concurrency: 1.5 }), "'concurrency' must be integer");
  refused(() => readConcurrency({ concurrency: 0 }), "'concurrency' must be at least 1, got 0");
  assert.equal(readConcurrency({ concurrency: 10_000 }), 10_000);
  refused(
    () => readConcurrency({ concurrency: 10_001 }),
    "'concurrency' must be at most 10000, got 10001",
  );
});

Deno.test("add-target refuses a name no row can carry, saying why", () => {
  assert.equal(readNewTargetName({ target: "t1" }), "t1");
  refused(() => readNewTargetName({ target: "" }), "invalid target name ''");
  refused(
    () => readNewTargetName({ target: "bell\u0007" }),
    "invalid target name 'bell\\x07': it contains the control character U+0007",
  );
  // The worker passes its table's check; its reason is the refusal's.
  const shortColumn = (name: string) => name.length > 4 ? "longer than the column" : undefined;
  assert.equal(readNewTargetName({ target: "abcd" }, shortColumn), "abcd");
  refused(
    () => readNewTargetName({ target: "abcde" }, shortColumn),
    "invalid target name 'abcde': longer than the column",
  );
});

Deno.test("the worker's run-manual takes a non-empty array of positive integer ids", () => {
  assert.deepEqual(readJobIds({ ids: [3, 1] }), [3, 1]);
  refused(() => readJobIds({}), "missing required field ids");
  refused(() => readJobIds({ ids: 3 }), "ids must be array");
  refused(() => readJobIds({ ids: [] }), "ids are empty");
  refused(() => readJobIds({ ids: [1, "2"] }), "all ids must be numbers, got string");
  refused(() => readJobIds({ ids: [0] }), "all ids must be positive integers, got 0");
});

Deno.test("the worker's run-manual takes optional targets: the target named for some of its ids", () => {
  assert.deepEqual(readExpectedTargets({ ids: [3, 1] }, [3, 1]), new Map());
  assert.deepEqual(readExpectedTargets({ ids: [3], targets: null }, [3]), new Map());
  assert.deepEqual(
    readExpectedTargets({ ids: [3, 1], targets: { 3: "build" } }, [3, 1]),
    new Map([[3, "build"]]),
  );
  const text = "targets must be an object of job id to target name";
  refused(() => readExpectedTargets({ targets: ["build"] }, [3]), text);
  refused(() => readExpectedTargets({ targets: "build" }, [3]), text);
  refused(
    () => readExpectedTargets({ targets: { abc: "build" } }, [3]),
    "targets: 'abc' is not a job id (a positive integer)",
  );
  refused(
    () => readExpectedTargets({ targets: { 4: "build" } }, [3]),
    "targets: job 4 is not one of ids",
  );
  refused(
    () => readExpectedTargets({ targets: { 3: 7 } }, [3]),
    "targets: the target of job 3 must be a string, number given",
  );
  refused(
    () => readExpectedTargets({ targets: { 3: "" } }, [3]),
    "targets: invalid target name '' for job 3: a target name cannot be empty",
  );
  refused(
    () => readExpectedTargets({ targets: { 3: "a\nb" } }, [3]),
    "targets: invalid target name 'a\\x0ab' for job 3: it contains the control character U+000A",
  );
  const many = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => i + 1);
  refused(
    () => readExpectedTargets({ targets: Object.fromEntries(many.map((id) => [id, "t"])) }, many),
    `'targets' has ${MAX_LIST_ITEMS + 1} items: at most ${MAX_LIST_ITEMS} in one request`,
  );
});

Deno.test("the worker's send-signal takes an object of job id to signal; none when absent", () => {
  assert.deepEqual(readSignalMap({}), {});
  assert.deepEqual(readSignalMap({ jobs: { 5: "TERM", 6: 9 } }), { 5: "SIGTERM", 6: "SIGKILL" });
  refused(() => readSignalMap({ jobs: { 5: "TERM", 6: "FOO" } }), "unknown signal 'FOO' for job 6");
  refused(() => readSignalMap({ jobs: [] }), "jobs must be an object of job id to signal");
  refused(() => readSignalMap({ jobs: "5" }), "jobs must be an object of job id to signal");
  for (const key of ["abc", "0", "-5", "5.0", "05", " 5"]) {
    refused(
      () => readSignalMap({ jobs: { 5: "TERM", [key]: "TERM" } }),
      `jobs: '${key}' is not a job id (a positive integer)`,
    );
  }
});

Deno.test("every list of a request holds at most MAX_LIST_ITEMS items; one more is refused by name", () => {
  const over = MAX_LIST_ITEMS + 1;
  const text = (field: string) =>
    `'${field}' has ${over} items: at most ${MAX_LIST_ITEMS} in one request`;
  const names = (count: number) => Array.from({ length: count }, (_, i) => `t${i}`);
  const jobs = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ id: i + 1, target: "t", signal: 15 }));
  const ids = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
  const signalMap = (count: number) => Object.fromEntries(ids(count).map((id) => [id, 15]));

  assert.equal(readOptionalTargets({ targets: names(MAX_LIST_ITEMS) })?.length, MAX_LIST_ITEMS);
  refused(() => readOptionalTargets({ targets: names(over) }), text("targets"));
  refused(() => readPokeTargets({ targets: names(over) }), text("targets"));
  refused(() => readRegistration({ name: "w1", targets: names(over) }), text("targets"));
  assert.equal(readJobIds({ ids: ids(MAX_LIST_ITEMS) }).length, MAX_LIST_ITEMS);
  refused(() => readJobIds({ ids: ids(over) }), text("ids"));
  refused(() => readSignalMap({ jobs: signalMap(over) }), text("jobs"));
  assert.equal(readTargetedJobs({ jobs: jobs(MAX_LIST_ITEMS) }).length, MAX_LIST_ITEMS);
  refused(() => readTargetedJobs({ jobs: jobs(over) }), text("jobs"));
  refused(() => readTargetedSignals({ jobs: jobs(over) }), text("jobs"));
});

/** The text of the `RequestError` that `read` throws. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof RequestError);
    return error.message;
  }
  assert.fail("accepted");
}

Deno.test("job (control): the required id, a positive integer up to the largest id a worker claims", () => {
  assert.equal(readJobId({ id: 7 }), 7);
  // A BIGINT id beyond the older schema's int(10) UNSIGNED runs, so it can be shown too.
  assert.equal(readJobId({ id: 5_000_000_000 }), 5_000_000_000);
  assert.equal(refusal(() => readJobId({})), "missing required field id");
  assert.equal(
    refusal(() => readJobId({ id: 9007199254740992 })),
    "'id' must be from 1 to 9007199254740991, got 9007199254740992",
  );
});

Deno.test("jobs (control): limit defaults to 20 and is bounded; status must be known", () => {
  assert.deepEqual(readJobsQuery({}), { limit: 20 });
  assert.deepEqual(readJobsQuery({ target: "b", status: "done", limit: 5 }), {
    target: "b",
    status: "done",
    limit: 5,
  });
  assert.equal(
    refusal(() => readJobsQuery({ limit: 1001 })),
    "'limit' must be from 1 to 1000, got 1001",
  );
  assert.equal(refusal(() => readJobsQuery({ limit: "5" })), "'limit' must be integer, got string");
  assert.match(refusal(() => readJobsQuery({ status: "finished" })), /^'status' must be one of /);
});

Deno.test("jobs (control): result filters by ok or fail, anything else is refused", () => {
  assert.deepEqual(readJobsQuery({ status: "done", result: "fail" }), {
    status: "done",
    result: "fail",
    limit: 20,
  });
  assert.deepEqual(readJobsQuery({ result: null }), { limit: 20 });
  assert.equal(
    refusal(() => readJobsQuery({ result: "failed" })),
    "'result' must be one of ok, fail, got 'failed'",
  );
  assert.equal(
    refusal(() => readJobsQuery({ result: 1 })),
    "'result' must be one of ok, fail, got number",
  );
});

Deno.test("retry (control): 1 to 1000 positive integer ids, each once", () => {
  assert.deepEqual(readRetryIds({ ids: [3, 3, 4] }), [3, 4]);
  assert.equal(refusal(() => readRetryIds({})), "missing required field ids");
  assert.equal(refusal(() => readRetryIds({ ids: [] })), "ids are empty");
  assert.equal(refusal(() => readRetryIds({ ids: ["3"] })), "all ids must be numbers, got string");
  assert.match(
    refusal(() => readRetryIds({ ids: Array.from({ length: 1001 }, (_, i) => i + 1) })),
    /more than 1000/,
  );
});

Deno.test("add (control): target required, count bounded, run_at in unix seconds, set values bounded", () => {
  assert.deepEqual(readAddRequest({ target: "b" }), { target: "b", count: 1, values: {} });
  assert.deepEqual(
    readAddRequest({ target: "b", count: 3, run_at: 1800000000, set: { p: 1, q: "x", r: null } }),
    { target: "b", count: 3, runAt: 1800000000, values: { p: 1, q: "x", r: null } },
  );
  assert.equal(refusal(() => readAddRequest({})), "missing required field target");
  assert.match(
    refusal(() => readAddRequest({ target: "t".repeat(1025) })),
    /^invalid target name 't+': it has 1025 characters, more than the 1024/,
  );
  assert.match(refusal(() => readJobsQuery({ target: "a\u0007b" })), /^invalid target name /);
  assert.equal(refusal(() => readJobsQuery({ target: 5 })), "'target' must be string");
  assert.equal(refusal(() => readAddRequest({ target: "null" })), "invalid target name 'null'");
  assert.equal(
    refusal(() => readAddRequest({ target: "b", count: 0 })),
    "'count' must be from 1 to 1000, got 0",
  );
  assert.match(refusal(() => readAddRequest({ target: "b", set: [] })), /'set' must be an object/);
  assert.match(
    refusal(() => readAddRequest({ target: "b", set: { "a b": 1 } })),
    /invalid column 'a b'/,
  );
  assert.match(
    refusal(() => readAddRequest({ target: "b", set: { a: {} } })),
    /must be a string, a number or null, got object/,
  );
  assert.match(
    refusal(() => readAddRequest({ target: "b", set: { a: "x".repeat(70_000) } })),
    /longer than 65535/,
  );
});

Deno.test("schedule-run, -pause and -resume need name: a schedule name of 1 to 64 characters", () => {
  assert.equal(readScheduleName({ name: "nightly-cleanup" }), "nightly-cleanup");
  assert.equal(readScheduleName({ name: "n".repeat(64) }), "n".repeat(64));
  refused(() => readScheduleName({}), "missing required field name");
  refused(() => readScheduleName({ name: null }), "missing required field name");
  refused(() => readScheduleName({ name: 5 }), "'name' must be string, number given");
  for (const name of ["", "n".repeat(65)]) {
    refused(
      () => readScheduleName({ name }),
      "'name' must be a schedule name of 1 to 64 characters",
    );
  }
});
