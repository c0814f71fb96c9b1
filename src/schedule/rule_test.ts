import assert from "node:assert/strict";
import { CronRule, EveryRule, isTimeZone } from "./rule.ts";

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (seconds: number | undefined) =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();

Deno.test("a cron rule's slots are the parser's next runs, in UTC by default", () => {
  const rule = new CronRule("*/15 * * * 1-5", "UTC");
  // Friday 2026-12-04 23:50 UTC: the next weekday slot is Monday 00:00.
  assert.equal(iso(rule.after(at("2026-12-04T23:50:00Z"))), "2026-12-07T00:00:00.000Z");
  assert.equal(iso(rule.after(at("2026-12-07T00:00:00Z"))), "2026-12-07T00:15:00.000Z");
});

Deno.test("a cron rule in a time zone follows its daylight saving changes", () => {
  const rule = new CronRule("0 3 * * *", "Europe/Berlin");
  // 03:00 in Berlin is 02:00 UTC in winter (CET) and 01:00 UTC in summer (CEST).
  assert.equal(iso(rule.after(at("2026-03-28T12:00:00Z"))), "2026-03-29T01:00:00.000Z");
  assert.equal(iso(rule.after(at("2026-03-27T12:00:00Z"))), "2026-03-28T02:00:00.000Z");
  assert.equal(iso(rule.after(at("2026-10-24T12:00:00Z"))), "2026-10-25T02:00:00.000Z");
  const newYork = new CronRule("30 9 * * *", "America/New_York");
  assert.equal(iso(newYork.after(at("2026-07-01T00:00:00Z"))), "2026-07-01T13:30:00.000Z");
  assert.equal(iso(newYork.after(at("2026-12-01T00:00:00Z"))), "2026-12-01T14:30:00.000Z");
});

Deno.test("a cron slot in the hour skipped by the spring change runs once, at the change", () => {
  // 02:30 does not exist in Berlin on 2026-03-29 (02:00 CET is 03:00 CEST); the slot is not
  // lost and not doubled: it runs at 03:00 CEST (01:00 UTC), as cron(8) runs it.
  const rule = new CronRule("30 2 * * *", "Europe/Berlin");
  const first = rule.after(at("2026-03-28T12:00:00Z"))!;
  assert.equal(iso(first), "2026-03-29T01:00:00.000Z");
  assert.equal(iso(rule.after(first)), "2026-03-30T00:30:00.000Z");
});

Deno.test("the hour repeated by the autumn change runs hourly slots twice and a daily one once", () => {
  // Berlin, 2026-10-25: 03:00 CEST is 02:00 CET, so 02:00 to 02:59 comes twice (00:00 to
  // 00:59 UTC, then 01:00 to 01:59 UTC). Every half hour keeps running through both.
  const halfHourly = new CronRule("*/30 * * * *", "Europe/Berlin");
  const slots = [at("2026-10-24T23:50:00Z")];
  for (let i = 0; i < 4; i++) slots.push(halfHourly.after(slots[slots.length - 1])!);
  assert.deepEqual(slots.slice(1).map(iso), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T01:30:00.000Z",
  ]);
  // A daily 02:30 runs at the first of the two, once.
  const daily = new CronRule("30 2 * * *", "Europe/Berlin");
  const first = daily.after(at("2026-10-24T12:00:00Z"))!;
  assert.equal(iso(first), "2026-10-25T00:30:00.000Z");
  assert.equal(iso(daily.after(first)), "2026-10-26T01:30:00.000Z");
});

Deno.test("a cron rule starts at its first slot after now, or after start", () => {
  const rule = new CronRule("0 * * * *", "UTC");
  assert.equal(iso(rule.first(at("2026-01-01T10:20:00Z"))), "2026-01-01T11:00:00.000Z");
  const start = at("2026-02-01T00:00:00Z");
  assert.equal(iso(rule.first(at("2026-01-01T10:20:00Z"), start)), "2026-02-01T00:00:00.000Z");
});

Deno.test("a cron expression of other than 5 fields, or one the parser refuses, throws", () => {
  assert.throws(() => new CronRule("* * * *", "UTC"), /has 4 fields/);
  assert.throws(() => new CronRule("0 0 * * * *", "UTC"), /has 6 fields/);
  assert.throws(() => new CronRule("61 * * * *", "UTC"), /minute/);
});

Deno.test("time zones are IANA names the runtime knows", () => {
  assert.ok(isTimeZone("UTC"));
  assert.ok(isTimeZone("Europe/Berlin"));
  assert.ok(!isTimeZone("Mars/Olympus_Mons"));
});

Deno.test("an every rule adds its interval to the previous slot, aligned on start", () => {
  const rule = new EveryRule(90);
  assert.equal(rule.first(1000), 1090);
  assert.equal(rule.after(1090, 5), 1180);
  assert.equal(rule.first(1000, 2000), 2000);
  assert.equal(rule.first(1000, 920), 1010, "start + k·every, the first not before now");
});

Deno.test("decay grows the interval after each run, up to every_max", () => {
  const rule = new EveryRule(10, 2, 60);
  assert.deepEqual([0, 1, 2, 3, 4].map((runs) => rule.interval(runs)), [10, 20, 40, 60, 60]);
});

Deno.test("the hash changes with the rule and not otherwise", () => {
  assert.equal(new EveryRule(10).hash, new EveryRule(10).hash);
  assert.notEqual(new EveryRule(10).hash, new EveryRule(11).hash);
  assert.notEqual(
    new CronRule("0 3 * * *", "UTC").hash,
    new CronRule("0 3 * * *", "Asia/Tokyo").hash,
  );
});
