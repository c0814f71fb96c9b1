import assert from "node:assert/strict";
import { RequestError } from "../net/errors.ts";
import {
  readOptionalTargets,
  readPokeTargets,
  readPollWorkers,
  readRegistration,
  readTargetedJobs,
  readTargetedSignals,
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
