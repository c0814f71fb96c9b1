import assert from "node:assert/strict";
import { ClockOffset } from "./clock_offset.ts";

/** A reading whose database clock is `offsetMs` from the host's, over a round trip of `tripMs`. */
function reading(offsetMs: number, tripMs = 10) {
  const sentAt = 1_700_000_000_000;
  return { sentAt, receivedAt: sentAt + tripMs, databaseMs: sentAt + tripMs / 2 + offsetMs };
}

Deno.test("a database clock more than 2 s off is one warning saying which way deferred jobs go wrong", () => {
  const clock = new ClockOffset("db:3306/app");
  assert.equal(clock.observe(reading(1_500)), undefined, "within 2 s: nothing said");
  assert.equal(clock.offsetSeconds, 1.5);

  assert.equal(
    clock.observe(reading(5_000)),
    "The clock of the database db:3306/app is 5.0 s ahead of this host's: deferred jobs " +
      "(a time_run_at written with the database's UNIX_TIMESTAMP()) start 5.0 s late; " +
      "keep both clocks in sync (NTP)",
  );
  assert.equal(clock.offsetSeconds, 5);
  assert.equal(clock.observe(reading(5_400)), undefined, "no new line for a small change");
  assert.match(
    clock.observe(reading(-4_000)) ?? "",
    /4\.0 s behind this host's: .* start 4\.0 s early/,
  );
  assert.equal(
    clock.observe(reading(300)),
    "The clock of the database db:3306/app is within 2 s of this host's again (0.3 s ahead of this host's)",
  );
  assert.equal(clock.observe(reading(100)), undefined);
});

Deno.test("a slow round trip is allowed for: the database read its clock somewhere within it", () => {
  const clock = new ClockOffset("db:3306/app");
  assert.equal(clock.observe(reading(2_500, 2_000)), undefined);
  assert.match(clock.observe(reading(3_500, 2_000)) ?? "", /3\.5 s ahead/);
});
