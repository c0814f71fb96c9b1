import assert from "node:assert/strict";
import { PasswordRefusals, REFUSAL_REMINDER_MS } from "./password_refusals.ts";

Deno.test("an address refused again and again is warned of once, then logged at debug", () => {
  const refusals = new PasswordRefusals({ now: () => 0 });
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "warn", count: 1 });
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "debug", count: 2 });
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "debug", count: 3 });
  // Another address is warned of on its own.
  assert.deepEqual(refusals.refused("10.0.0.8"), { level: "warn", count: 1 });
});

Deno.test("an address that gives the right password is warned of again at its next refusal", () => {
  const refusals = new PasswordRefusals({ now: () => 0 });
  refusals.refused("10.0.0.7");
  refusals.refused("10.0.0.7");
  refusals.accepted("10.0.0.7");
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "warn", count: 1 });
});

Deno.test("an address still refused an hour after the last warning gets a warning with the count", () => {
  let now = 0;
  const refusals = new PasswordRefusals({ now: () => now });
  refusals.refused("10.0.0.7");
  now = REFUSAL_REMINDER_MS - 1;
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "debug", count: 2 });
  now = REFUSAL_REMINDER_MS;
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "warn", count: 3 });
  assert.deepEqual(refusals.refused("10.0.0.7"), { level: "debug", count: 4 });
});

Deno.test("at most `limit` addresses are remembered: the oldest is forgotten", () => {
  const refusals = new PasswordRefusals({ limit: 2, now: () => 0 });
  refusals.refused("a");
  refusals.refused("b");
  refusals.refused("c");
  assert.equal(refusals.size, 2);
  // 'a' was forgotten, so it is warned of afresh; 'c' is still known.
  assert.deepEqual(refusals.refused("c"), { level: "debug", count: 2 });
  assert.deepEqual(refusals.refused("a"), { level: "warn", count: 1 });
  assert.equal(refusals.size, 2);
});
