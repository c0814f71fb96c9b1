import assert from "node:assert/strict";
import { FailureRun, formatLength, Outage } from "./outage.ts";

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

Deno.test("a run of failures is logged once, again when its reason changes, and its end once", () => {
  const run = new FailureRun();
  assert.equal(run.succeeded(1000), undefined, "a success without failures ends nothing");
  assert.equal(run.failed("no such table: jobs", 1000), true, "the first failure is logged");
  assert.equal(run.failed("no such table: jobs", 2000), false, "its repeats are not");
  assert.equal(run.failed("disk full", 3000), true, "a new reason is");
  assert.equal(run.failed("disk full", 4000), false);
  assert.equal(run.failed("no such table: jobs", 5000), true, "and the old one back is new again");
  assert.equal(run.isFailing, true);
  assert.equal(run.succeeded(9000), 8000, "the success that ends the run gives its length");
  assert.equal(run.isFailing, false);
  assert.equal(run.failed("no such table: jobs", 10_000), true, "a new run is logged again");
});
