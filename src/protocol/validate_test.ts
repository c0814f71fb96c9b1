import assert from "node:assert/strict";
import { RequestError } from "../net/errors.ts";
import {
  readAddRequest,
  readConcurrency,
  readJobId,
  readJobIds,
  readJobsQuery,
  readOptionalTargets,
  readPokeTargets,
  readPollWorkers,
  readRegistration,
  readRetryIds,
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
  refused(
    () => readTargetName({ target: "t".repeat(256) }),
    "'target' is longer than 255 characters",
  );
  assert.equal(readConcurrency({ concurrency: 3 }), 3);
  refused(() => readConcurrency({}), "missing required field concurrency");
  refused(() => readConcurrency({ concurrency: "2" }), "'concurrency' must be integer");
  refused(() => readConcurrency({ concurrency: 1.5 }), "'concurrency' must be integer");
  refused(() => readConcurrency({ concurrency: 0 }), "'concurrency' must be at least 1, got 0");
});

Deno.test("the worker's run-manual takes a non-empty array of positive integer ids", () => {
  assert.deepEqual(readJobIds({ ids: [3, 1] }), [3, 1]);
  refused(() => readJobIds({}), "missing required field ids");
  refused(() => readJobIds({ ids: 3 }), "ids must be array");
  refused(() => readJobIds({ ids: [] }), "ids are empty");
  refused(() => readJobIds({ ids: [1, "2"] }), "all ids must be numbers, got string");
  refused(() => readJobIds({ ids: [0] }), "all ids must be positive integers, got 0");
});

Deno.test("the worker's send-signal takes an object of job id to signal; none when absent", () => {
  assert.deepEqual(readSignalMap({}), {});
  assert.deepEqual(readSignalMap({ jobs: { 5: "TERM" } }), { 5: "TERM" });
  refused(() => readSignalMap({ jobs: [] }), "jobs must be an object of job id to signal");
  refused(() => readSignalMap({ jobs: "5" }), "jobs must be an object of job id to signal");
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

Deno.test("job (control): the required id, a positive integer the id column holds", () => {
  assert.equal(readJobId({ id: 7 }), 7);
  assert.equal(refusal(() => readJobId({})), "missing required field id");
  assert.equal(
    refusal(() => readJobId({ id: 4294967296 })),
    "'id' must be from 1 to 4294967295, got 4294967296",
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
