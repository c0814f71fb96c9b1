import assert from "node:assert/strict";
import { closest, editDistance, suggestion } from "./did_you_mean.ts";

Deno.test("the edit distance counts a swap of neighbours as one edit", () => {
  assert.equal(editDistance("status", "status"), 0);
  assert.equal(editDistance("stauts", "status"), 1);
  assert.equal(editDistance("pol", "poll"), 1);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("a likely typo gets the closest name; an unrelated word gets none", () => {
  const commands = ["list-targets", "status", "poll", "pause", "jobs", "stats"];
  assert.equal(closest("stauts", commands), "status");
  assert.equal(closest("list-target", commands), "list-targets");
  assert.equal(closest("job", commands), "jobs");
  assert.equal(closest("list", commands), "list-targets");
  assert.equal(closest("frobnicate", commands), undefined);
  assert.equal(suggestion("pol", commands), "; did you mean 'poll'?");
  assert.equal(suggestion("zzz", commands), "");
});
