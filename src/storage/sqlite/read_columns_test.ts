import assert from "node:assert/strict";
import { statusValues } from "./read_columns.ts";

Deno.test("the statuses of a CHECK on status are read from the CREATE statement", () => {
  const schema = `CREATE TABLE "jobs" (
    "status" TEXT NOT NULL DEFAULT 'waiting'
      CHECK ("status" IN ('waiting', 'manual', 'accepted', 'running', 'done', 'ignored')),
    "result" TEXT DEFAULT NULL CHECK ("result" IN ('ok', 'fail')))`;
  assert.deepEqual(statusValues(schema), [
    "waiting",
    "manual",
    "accepted",
    "running",
    "done",
    "ignored",
  ]);
  assert.deepEqual(statusValues("CREATE TABLE t (status TEXT CHECK (status in ('a','b')))"), [
    "a",
    "b",
  ]);
  assert.equal(statusValues(`CREATE TABLE "jobs" ("status" TEXT)`), undefined);
});
