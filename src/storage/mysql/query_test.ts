import assert from "node:assert/strict";
import { isTransientStorageError, StorageError } from "../errors.ts";
import { QueryTimeout } from "./query.ts";

Deno.test("a QueryTimeout says how long the statement waited, in seconds", () => {
  assert.equal(new QueryTimeout(30_000).message, "the query timed out after 30 s");
  assert.equal(new QueryTimeout(1_500).message, "the query timed out after 1.5 s");
});

Deno.test("a QueryTimeout is transient, also as the cause of the operation's StorageError", () => {
  const timeout = new QueryTimeout(1_000);
  assert.equal(isTransientStorageError(timeout), true);
  const error = new StorageError(
    `Cannot mark job 7 running in table 'jobs' of database 'jobd': ${timeout.message}`,
    { cause: timeout },
  );
  assert.equal(error.code, "PROTOCOL_SEQUENCE_TIMEOUT");
  assert.equal(isTransientStorageError(error), true);
});
