import assert from "node:assert/strict";
import { Sleeper } from "./sleeper.ts";

Deno.test("wakeAll ends every sleep at once and leaves no timer behind", async () => {
  const sleeper = new Sleeper();
  const started = Date.now();
  const sleeps = [sleeper.sleep(60_000), sleeper.sleep(60_000)];
  sleeper.wakeAll();
  await Promise.all(sleeps);
  assert.ok(Date.now() - started < 30_000, "woken long before the timers");
});

Deno.test("a sleep ends by itself after its time", async () => {
  const sleeper = new Sleeper();
  await sleeper.sleep(1);
  sleeper.wakeAll(); // nothing left to wake
});
