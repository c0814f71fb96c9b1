import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("a duration is whole seconds written with d, h, m and s, largest first", () => {
  assert.equal(parseDuration("90s"), 90);
  assert.equal(parseDuration("3m5s"), 185);
  assert.equal(parseDuration("1h"), 3600);
  assert.equal(parseDuration("1d2h"), 93_600);
});

Deno.test("a duration without unit, of zero, fractional, repeated or out of order is refused", () => {
  for (const text of ["", "5", "0s", "1.5h", "5m1h", "1h1h", "1 h", "-1s", "1w", "99999d"]) {
    assert.equal(parseDuration(text), undefined, text);
  }
});

Deno.test("a duration is written back in the same form", () => {
  assert.equal(formatDuration(185), "3m5s");
  assert.equal(formatDuration(3600), "1h");
  assert.equal(formatDuration(600), "10m");
});
