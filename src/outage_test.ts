import assert from "node:assert/strict";
import { formatLength, Outage } from "./outage.ts";

Deno.test("an outage is reported once when it begins and once when it ends, with its length", () => {
  const outage = new Outage();
  assert.equal(outage.up(1000), undefined, "a success while up ends nothing");
  assert.equal(outage.down(1000), true, "the first failure begins the outage");
  assert.equal(outage.down(2000), false, "a retry's failure does not");
  assert.equal(outage.down(5000), false);
  assert.equal(outage.isDown, true);
  assert.equal(outage.since, 1000);
  assert.equal(outage.up(13_000), 12_000, "the first success ends it");
  assert.equal(outage.up(14_000), undefined, "and the next ones do not");
  assert.equal(outage.isDown, false);
  assert.equal(outage.down(20_000), true, "a new outage is reported again");
});

Deno.test("lengths read as people say them", () => {
  assert.equal(formatLength(800), "800 ms");
  assert.equal(formatLength(12_000), "12 s");
  assert.equal(formatLength(12_400), "12 s");
  assert.equal(formatLength(60_000), "1 min");
  assert.equal(formatLength(185_000), "3 min 5 s");
  assert.equal(formatLength(7_200_000), "2 h");
  assert.equal(formatLength(7_800_000), "2 h 10 min");
});
