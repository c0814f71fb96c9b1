import assert from "node:assert/strict";
import { targetsWithWaitingTable } from "./control_reports.ts";
import { PLAIN } from "./table.ts";
import { DELAYED_COUNT_LIMIT } from "../protocol/requests.ts";

Deno.test("the targets table adds the delayed count, timeout and retries when the worker reports them", () => {
  const text = targetsWithWaitingTable({
    mail: {
      concurrency: 2,
      length: 1,
      paused: false,
      delayed: 14,
      timeout: 30,
      maxAttempts: 5,
      retryDelay: 10,
      retryDelayMax: 3600,
      retryExitCodes: [75, 111],
      waiting: 3,
    },
    reports: { concurrency: 1, length: 0, paused: false, delayed: 0, waiting: 0 },
  }, PLAIN);
  assert.equal(
    text,
    [
      "TARGET  | CONCURRENCY | LENGTH | PAUSED | WAITING | DELAYED | TIMEOUT | RETRIES",
      "------- | ----------- | ------ | ------ | ------- | ------- | ------- | -----------------------------------------",
      "mail    |           2 |      1 | no     |       3 |      14 | 30 s    | 5 attempts, 10-3600 s apart, codes 75 111",
      "reports |           1 |      0 | no     |       0 |       0 | none    | none",
      "",
    ].join("\n"),
  );
});

Deno.test("a delayed count at the worker's limit reads as that many or more", () => {
  const text = targetsWithWaitingTable({
    mail: { concurrency: 1, length: 0, paused: false, delayed: DELAYED_COUNT_LIMIT, waiting: 0 },
    reports: {
      concurrency: 1,
      length: 0,
      paused: false,
      delayed: DELAYED_COUNT_LIMIT - 1,
      waiting: 0,
    },
  }, PLAIN);
  assert.deepEqual(text.split("\n").slice(2, 4), [
    "mail    |           1 |      0 | no     |       0 |  10000+",
    "reports |           1 |      0 | no     |       0 |    9999",
  ]);
});
