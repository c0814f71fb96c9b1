import assert from "node:assert/strict";
import { targetsTable } from "./reports.ts";
import { PLAIN } from "./table.ts";
import { DELAYED_COUNT_LIMIT } from "../protocol/requests.ts";

Deno.test("the targets table adds the delayed count, timeout and retries when the worker reports them", () => {
  const text = targetsTable({
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
    },
    reports: { concurrency: 1, length: 0, paused: false, delayed: 0 },
  }, PLAIN);
  assert.equal(
    text,
    [
      "TARGET  | CONCURRENCY | LENGTH | PAUSED | DELAYED | TIMEOUT | RETRIES",
      "------- | ----------- | ------ | ------ | ------- | ------- | -----------------------------------------",
      "mail    |           2 |      1 | no     |      14 | 30 s    | 5 attempts, 10-3600 s apart, codes 75 111",
      "reports |           1 |      0 | no     |       0 | none    | none",
      "",
    ].join("\n"),
  );
});

Deno.test("a delayed count at the worker's limit reads as that many or more", () => {
  const text = targetsTable({
    mail: { concurrency: 1, length: 0, paused: false, delayed: DELAYED_COUNT_LIMIT },
    reports: { concurrency: 1, length: 0, paused: false, delayed: DELAYED_COUNT_LIMIT - 1 },
  }, PLAIN);
  assert.deepEqual(text.split("\n").slice(2, 4), [
    "mail    |           1 |      0 | no     |  10000+",
    "reports |           1 |      0 | no     |    9999",
  ]);
});
