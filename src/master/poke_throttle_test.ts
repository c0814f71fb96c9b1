import assert from "node:assert/strict";
import { PokeThrottle } from "./poke_throttle.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await delay(5);
}

/** A throttle that records what it sends. */
function recordingThrottle(interval: number) {
  const sent: string[][] = [];
  const throttle = new PokeThrottle(interval, (targets) => sent.push(targets.toSorted()));
  return { sent, throttle };
}

Deno.test("the first poke is sent at once", () => {
  const { sent, throttle } = recordingThrottle(10);
  throttle.add(["a", "b"]);
  assert.deepEqual(sent, [["a", "b"]]);
  throttle.stop();
});

Deno.test("pokes within the interval are merged into one batch sent when it ends", async () => {
  const { sent, throttle } = recordingThrottle(0.1);
  throttle.add(["a"]);
  throttle.add(["b"]);
  throttle.add(["a", "c"]);
  throttle.add(["b"]);
  assert.deepEqual(sent, [["a"]]);
  assert.deepEqual(throttle.pending.toSorted(), ["a", "b", "c"]);
  await until(() => throttle.idle);
  assert.deepEqual(sent, [["a"], ["a", "b", "c"]]);
  assert.deepEqual(throttle.pending, []);
});

Deno.test("after a quiet interval the next poke is sent at once again", async () => {
  const { sent, throttle } = recordingThrottle(0.05);
  throttle.add(["a"]);
  assert.equal(throttle.idle, false);
  await until(() => throttle.idle);
  throttle.add(["b"]);
  assert.deepEqual(sent, [["a"], ["b"]]);
  throttle.stop();
});

Deno.test("with interval 0 a burst in one tick is still merged behind the first poke", async () => {
  const { sent, throttle } = recordingThrottle(0);
  for (let i = 0; i < 5; i++) throttle.add(["a"]);
  await until(() => throttle.idle);
  assert.deepEqual(sent, [["a"], ["a"]]);
});

Deno.test("a new interval applies from the next batch on", async () => {
  const { sent, throttle } = recordingThrottle(0.05);
  throttle.add(["a"]);
  throttle.interval = 0;
  throttle.add(["b"]);
  await until(() => throttle.idle);
  assert.equal(throttle.interval, 0);
  assert.deepEqual(sent, [["a"], ["b"]]);
});

Deno.test("stop() drops gathered pokes", async () => {
  const { sent, throttle } = recordingThrottle(0.05);
  throttle.add(["a"]);
  throttle.add(["b"]);
  throttle.stop();
  assert.equal(throttle.idle, true);
  await delay(100);
  assert.deepEqual(sent, [["a"]]);
});
