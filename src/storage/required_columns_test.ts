import assert from "node:assert/strict";
import { StorageError } from "./errors.ts";
import {
  checkColumnValues,
  checkRequiredColumns,
  REQUIRED_COLUMNS,
  STATUSES_EVERY_TABLE_HOLDS,
} from "./required_columns.ts";

const WHERE = "table 'jobs' of database 'jobd'";

Deno.test("checkRequiredColumns accepts a table with every required column and more", () => {
  checkRequiredColumns(new Set([...REQUIRED_COLUMNS, "time_created", "worker"]), WHERE);
});

Deno.test("checkRequiredColumns names one missing column", () => {
  const columns = new Set(REQUIRED_COLUMNS.filter((name) => name !== "sig"));
  assert.throws(
    () => checkRequiredColumns(columns, WHERE),
    new StorageError("Cannot use the table 'jobs' of database 'jobd': it has no column 'sig'"),
  );
});

Deno.test("checkRequiredColumns names every missing column, in schema order", () => {
  const columns = new Map([["id", 1], ["target", 2], ["status", 3]]);
  assert.throws(
    () => checkRequiredColumns(columns, WHERE),
    new StorageError(
      "Cannot use the table 'jobs' of database 'jobd': it has no columns 'time_started', " +
        "'time_finished', 'result', 'return_code', 'sig', 'stdout', 'stderr'",
    ),
  );
});

Deno.test("checkColumnValues wants the statuses every table holds, and more do no harm", () => {
  const values = [...STATUSES_EVERY_TABLE_HOLDS, "archived"];
  checkColumnValues("status", { values, type: "enum(...)" }, WHERE);
  const withoutDone = STATUSES_EVERY_TABLE_HOLDS.filter((status) => status !== "done");
  assert.throws(
    () => checkColumnValues("status", { values: withoutDone, type: "enum(...)" }, WHERE),
    new StorageError(
      "Cannot use the table 'jobs' of database 'jobd': its column 'status' (enum(...)) " +
        "cannot hold the status 'done' that jobd writes",
    ),
  );
});
