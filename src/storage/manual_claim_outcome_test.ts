import assert from "node:assert/strict";
import { judgeManualRows, type ManualRow } from "./manual_claim_outcome.ts";

const SERVED: ReadonlySet<string> = new Set(["build", "deploy"]);

Deno.test("judgeManualRows claims manual rows of served targets, in id order", () => {
  const found = new Map<number, ManualRow>([
    [7, { target: "deploy", status: "manual" }],
    [3, { target: "build", status: "manual" }],
  ]);
  const outcome = judgeManualRows([7, 3], found, SERVED);
  assert.deepEqual(outcome.claimed, [
    { id: 3, target: "build", origin: "manual" },
    { id: 7, target: "deploy", origin: "manual" },
  ]);
  assert.deepEqual(outcome.ignored, []);
  assert.deepEqual(outcome.errors, new Map());
});

Deno.test("judgeManualRows gives each id it cannot claim its error text", () => {
  const found = new Map<number, ManualRow>([
    [1, { target: "build", status: "waiting" }],
    [2, { target: "elsewhere", status: "manual" }],
  ]);
  const outcome = judgeManualRows([1, 2, 9], found, SERVED);
  assert.deepEqual(outcome.claimed, []);
  assert.deepEqual(outcome.ignored, [2], "only a manual row of an unserved target is ignored");
  assert.deepEqual(
    outcome.errors,
    new Map([
      [1, "status = waiting != manual"],
      [2, "target 'elsewhere' not found (job id=2)"],
      [9, "job 9 not found"],
    ]),
  );
});

Deno.test("judgeManualRows leaves a row of another target than the caller named alone", () => {
  const found = new Map<number, ManualRow>([
    [4, { target: "mail", status: "manual" }],
    [5, { target: "build", status: "manual" }],
    [6, { target: "elsewhere", status: "done" }],
  ]);
  const expected = new Map([[4, "build"], [5, "build"], [6, "build"]]);
  const outcome = judgeManualRows([4, 5, 6], found, SERVED, expected);
  assert.deepEqual(outcome.claimed, [{ id: 5, target: "build", origin: "manual" }]);
  assert.deepEqual(outcome.ignored, [], "a row of another target is never ignored");
  assert.deepEqual(
    outcome.errors,
    new Map([
      [4, "job 4 belongs to target 'mail', not 'build'"],
      [6, "job 6 belongs to target 'elsewhere', not 'build'"],
    ]),
  );
});

Deno.test("judgeManualRows bounds the row's own values it quotes: a long target or status is cut", () => {
  const target = "t".repeat(5000);
  const status = "s".repeat(5000);
  const found = new Map<number, ManualRow>([
    [1, { target, status: "manual" }],
    [2, { target: "build", status }],
  ]);
  const { errors } = judgeManualRows([1, 2], found, SERVED);
  assert.equal(errors.get(1), `target '${"t".repeat(2048)}…' not found (job id=1)`);
  assert.equal(errors.get(2), `status = ${"s".repeat(40)}… != manual`);
});
