import assert from "node:assert/strict";
import type { ScheduleInfo } from "../protocol/requests.ts";
import { mergeSchedules, workerRunning } from "./schedules.ts";

function info(name: string, target: string, served: boolean): ScheduleInfo {
  return {
    name,
    target,
    rule: "every 1h",
    enabled: true,
    served,
    nextRunAt: served ? 1000 : null,
    lastRunAt: null,
    lastJobId: null,
    lastStatus: null,
    lastResult: null,
    runs: 0,
    paused: false,
    finished: false,
    ...(served ? {} : { problem: `this worker does not serve target '${target}'` }),
  };
}

Deno.test("the master lists each schedule once, from a worker serving its target, with every board's worker", () => {
  const merged = mergeSchedules([
    { worker: { name: "w1" }, schedules: [info("a", "build", false), info("b", "nobody", false)] },
    { worker: { name: "w2" }, schedules: [info("a", "build", true), info("b", "nobody", false)] },
  ]);
  assert.deepEqual(merged.map((s) => [s.name, s.served, s.nextRunAt, s.workers, s.problem]), [
    ["a", true, 1000, ["w1", "w2"], undefined],
    ["b", false, null, ["w1", "w2"], "no worker serves target 'nobody'"],
  ]);
});

Deno.test("a board shared by 1,000 workers merges into one entry per schedule naming each worker once", () => {
  const board = Array.from({ length: 100 }, (_, i) => info(`s${i}`, `t${i}`, true));
  const names = Array.from({ length: 1000 }, (_, i) => `w${i}`);
  const merged = mergeSchedules(names.map((name) => ({ worker: { name }, schedules: board })));
  assert.equal(merged.length, 100);
  assert.ok(merged.every((schedule) => schedule.workers?.join() === names.join()));
  assert.ok(
    board.every((schedule) => schedule.workers === undefined),
    "the answers are not changed",
  );
});

Deno.test("the master keeps a serving worker's note about its schedule", () => {
  const note = "its row follows another board's rule (a board loaded later)";
  const merged = mergeSchedules([
    { worker: { name: "w1" }, schedules: [{ ...info("a", "build", true), problem: note }] },
    { worker: { name: "w2" }, schedules: [info("a", "build", true)] },
  ]);
  assert.deepEqual(merged.map((s) => [s.name, s.workers, s.problem]), [["a", ["w1", "w2"], note]]);
});

Deno.test("a schedule request goes to a worker serving the schedule's target; an error names the workers that did not answer", () => {
  const listings = [
    { worker: "w1", schedules: [info("a", "build", false)] },
    { worker: "w2", schedules: [info("a", "build", true)] },
  ];
  assert.equal(workerRunning(listings, {}, "a"), "w2");
  assert.throws(() => workerRunning(listings, {}, "nightly"), {
    message: "schedule 'nightly' not found",
  });
  // The worker whose board has it may be the one that did not answer: the operator is told.
  const silent = { w3: "worker 'w3' did not answer: timed out after 30 s" };
  assert.throws(() => workerRunning(listings, silent, "nightly"), {
    message: "schedule 'nightly' not found among the workers that answered; " +
      "worker 'w3' did not answer: timed out after 30 s",
  });
  assert.throws(() => workerRunning(listings.slice(0, 1), silent, "a"), {
    message: "schedule 'a': no worker serves its target 'build' among the workers that " +
      "answered; worker 'w3' did not answer: timed out after 30 s",
  });
});
