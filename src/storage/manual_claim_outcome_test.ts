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
