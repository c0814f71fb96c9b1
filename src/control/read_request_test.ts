import assert from "node:assert/strict";
import { RequestError } from "../net/errors.ts";
import { readAddRequest, readJobsQuery, readRetryIds } from "./read_request.ts";

function refused(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof RequestError);
    return error.message;
  }
  assert.fail("accepted");
}

Deno.test("jobs: limit defaults to 20 and is bounded; status must be known", () => {
  assert.deepEqual(readJobsQuery({}), { limit: 20 });
  assert.deepEqual(readJobsQuery({ target: "b", status: "done", limit: 5 }), {
    target: "b",
    status: "done",
    limit: 5,
  });
  assert.equal(
    refused(() => readJobsQuery({ limit: 1001 })),
    "'limit' must be from 1 to 1000, got 1001",
  );
  assert.equal(refused(() => readJobsQuery({ limit: "5" })), "'limit' must be integer, got string");
  assert.match(refused(() => readJobsQuery({ status: "finished" })), /^'status' must be one of /);
});

Deno.test("retry: 1 to 1000 positive integer ids, each once", () => {
  assert.deepEqual(readRetryIds({ ids: [3, 3, 4] }), [3, 4]);
  assert.equal(refused(() => readRetryIds({})), "missing required field ids");
  assert.equal(refused(() => readRetryIds({ ids: [] })), "ids are empty");
  assert.equal(refused(() => readRetryIds({ ids: ["3"] })), "all ids must be numbers, got string");
  assert.match(
    refused(() => readRetryIds({ ids: Array.from({ length: 1001 }, (_, i) => i + 1) })),
    /more than 1000/,
  );
});

Deno.test("add: target required, count bounded, run_at in unix seconds, set values bounded", () => {
  assert.deepEqual(readAddRequest({ target: "b" }), { target: "b", count: 1, values: {} });
  assert.deepEqual(
    readAddRequest({ target: "b", count: 3, run_at: 1800000000, set: { p: 1, q: "x", r: null } }),
    { target: "b", count: 3, runAt: 1800000000, values: { p: 1, q: "x", r: null } },
  );
  assert.equal(refused(() => readAddRequest({})), "missing required field target");
  assert.equal(
    refused(() => readAddRequest({ target: "b", count: 0 })),
    "'count' must be from 1 to 1000, got 0",
  );
  assert.match(refused(() => readAddRequest({ target: "b", set: [] })), /'set' must be an object/);
  assert.match(
    refused(() => readAddRequest({ target: "b", set: { "a b": 1 } })),
    /invalid column 'a b'/,
  );
  assert.match(
    refused(() => readAddRequest({ target: "b", set: { a: {} } })),
    /must be a string, a number or null, got object/,
  );
  assert.match(
    refused(() => readAddRequest({ target: "b", set: { a: "x".repeat(70_000) } })),
    /longer than 65535/,
  );
});
