import assert from "node:assert/strict";
import { Connection } from "../net/connection.ts";
import { ConnectionClosedError } from "../net/errors.ts";
import { encodePing } from "../protocol/messages.ts";
import { Heartbeat, SILENT_INTERVALS_LIMIT } from "./heartbeat.ts";
import { WorkerRegistry } from "./registry.ts";

/** A worker peer that answers pings (a Connection does so by itself). */
async function answeringPeer(listener: Deno.TcpListener) {
  const [accepted, peer] = await Promise.all([
    listener.accept(),
    Connection.connect("127.0.0.1", listener.addr.port),
  ]);
  return { master: new Connection(accepted), peer };
}

/** A worker peer that never reads its socket: it answers nothing, like a frozen process. */
async function silentPeer(listener: Deno.TcpListener) {
  const [accepted, peer] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  ]);
  return { master: new Connection(accepted), peer };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await delay(5);
}

Deno.test("a worker that answers the pings stays registered", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { master, peer } = await answeringPeer(listener);
  const registry = new WorkerRegistry();
  await registry.register(master, "w1", ["build"]);
  const heartbeat = new Heartbeat(registry, 30);
  for (let beat = 1; beat <= 4; beat++) {
    heartbeat.beat();
    await until(() => master.pongsReceived === beat);
  }
  assert.equal(registry.size, 1);
  assert.equal(master.isClosed, false);
  peer.close();
  await master.closed;
});

Deno.test("a worker that answers neither of two pings is dropped and its requests fail", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { master, peer } = await silentPeer(listener);
  const registry = new WorkerRegistry();
  const worker = await registry.register(master, "w1", ["build"]);
  const pending = worker.client.status();
  const heartbeat = new Heartbeat(registry, 30);
  for (let beat = 0; beat < SILENT_INTERVALS_LIMIT; beat++) heartbeat.beat();
  assert.equal(registry.size, 1, "still registered after two pings");
  heartbeat.beat();
  assert.equal(registry.size, 0);
  assert.equal(master.isClosed, true);
  await assert.rejects(pending, ConnectionClosedError);
  peer.close();
});

Deno.test("start() pings every interval and stop() ends it", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { master, peer } = await answeringPeer(listener);
  const registry = new WorkerRegistry();
  await registry.register(master, "w1", []);
  const heartbeat = new Heartbeat(registry, 0.02);
  heartbeat.start();
  await until(() => master.pongsReceived >= 2);
  heartbeat.stop();
  peer.close();
  await master.closed;
});

Deno.test("a worker that sends pings but answers none is dropped all the same", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { master, peer } = await silentPeer(listener);
  const registry = new WorkerRegistry();
  await registry.register(master, "w1", ["build"]);
  const heartbeat = new Heartbeat(registry, 30);
  for (let beat = 0; beat <= SILENT_INTERVALS_LIMIT; beat++) {
    // The peer's own ping arrives (and is answered) between the master's pings.
    await peer.write(encodePing());
    await delay(20);
    heartbeat.beat();
  }
  assert.equal(registry.size, 0);
  assert.equal(master.isClosed, true);
  peer.close();
});
