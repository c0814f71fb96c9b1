import assert from "node:assert/strict";
import { Connection } from "../net/connection.ts";
import { RequestError } from "../net/errors.ts";
import { type RegisteredWorker, WorkerRegistry } from "./registry.ts";

/**
 * Master-side ends of real loopback connections (the side a worker's
 * connection is accepted on), closed with their peers on dispose.
 */
async function acceptedConnections(count: number) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pairs: { accepted: Connection; peer: Connection }[] = [];
  for (let i = 0; i < count; i++) {
    const [accepted, peer] = await Promise.all([
      listener.accept(),
      Connection.connect("127.0.0.1", listener.addr.port),
    ]);
    pairs.push({ accepted: new Connection(accepted), peer });
  }
  return {
    connections: pairs.map((pair) => pair.accepted),
    async [Symbol.asyncDispose]() {
      for (const { accepted, peer } of pairs) {
        accepted.close();
        peer.close();
        await Promise.all([accepted.closed, peer.closed]);
      }
    },
  };
}

Deno.test("registered workers are listed by name with the targets they serve", async () => {
  await using pairs = await acceptedConnections(2);
  const [a, b] = pairs.connections;
  const registry = new WorkerRegistry();
  await registry.register(a, "w2", ["build", "mail"]);
  await registry.register(b, "w1", ["mail"]);
  assert.deepEqual(registry.workers.map((worker) => worker.name), ["w1", "w2"]);
  assert.deepEqual(registry.serving("mail").map((worker) => worker.name), ["w1", "w2"]);
  assert.deepEqual(registry.serving("build").map((worker) => worker.name), ["w2"]);
  assert.equal(registry.isServed("build"), true);
  assert.equal(registry.isServed("video"), false);
  assert.deepEqual(registry.get(a)?.servedOf(["mail", "video", "build"]), ["build", "mail"]);
});

Deno.test("registering again on the same connection updates the entry instead of adding one", async () => {
  await using pairs = await acceptedConnections(1);
  const [a] = pairs.connections;
  const registry = new WorkerRegistry();
  const first = await registry.register(a, "w1", ["build"]);
  const second = await registry.register(a, "w1", ["build", "mail"]);
  assert.equal(second, first);
  assert.equal(registry.size, 1);
  assert.deepEqual(registry.workers[0].targets, ["build", "mail"]);
  assert.equal(registry.isServed("mail"), true, "the new target is served");
  await registry.register(a, "w1", ["mail"]);
  assert.equal(registry.isServed("build"), false, "the dropped target is no longer served");
});

Deno.test("a name held by a worker that answers its ping is refused to a newcomer from its host", async () => {
  await using pairs = await acceptedConnections(2);
  const [holder, newcomer] = pairs.connections;
  const registry = new WorkerRegistry({ probeMs: 60_000 });
  await registry.register(holder, "w1", ["build"]);
  const pongs = holder.pongsReceived;
  await assert.rejects(registry.register(newcomer, "w1", ["mail"]), (error: unknown) => {
    assert.ok(error instanceof RequestError);
    assert.equal(
      error.message,
      `worker name 'w1' is already registered from ${holder.peer}: give each worker its own 'name'`,
    );
    return true;
  });
  assert.equal(holder.pongsReceived, pongs + 1, "the holder was pinged and answered");
  assert.equal(holder.isClosed, false);
  assert.deepEqual(registry.workers.map((worker) => [worker.name, worker.targets]), [
    ["w1", ["build"]],
  ]);
  assert.equal(registry.get(newcomer), undefined);
});

Deno.test("a name held by a connection that answers no ping goes to the newcomer; the old one is closed", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A peer that never reads its socket: a worker gone without its connection closing.
  const [silentEnd, silentPeer] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  ]);
  const [freshEnd, freshPeer] = await Promise.all([
    listener.accept(),
    Connection.connect("127.0.0.1", listener.addr.port),
  ]);
  const old = new Connection(silentEnd);
  const fresh = new Connection(freshEnd);
  try {
    const registry = new WorkerRegistry({ probeMs: 200 });
    await registry.register(old, "w1", ["build"]);
    const worker = await registry.register(fresh, "w1", ["mail"]);
    assert.equal(registry.size, 1);
    assert.equal(registry.workers[0], worker);
    assert.equal(worker.connection, fresh);
    assert.deepEqual(worker.targets, ["mail"]);
    assert.equal(old.isClosed, true);
    assert.equal(registry.isServed("build"), false, "the replaced worker's target is not served");
    assert.deepEqual(registry.serving("mail"), [worker]);
  } finally {
    for (const connection of [old, fresh, freshPeer]) connection.close();
    silentPeer.close();
  }
});

Deno.test("a newcomer whose name holder closes during the probe takes the name", async () => {
  await using pairs = await acceptedConnections(2);
  const [holder, newcomer] = pairs.connections;
  const registry = new WorkerRegistry({ probeMs: 60_000 });
  await registry.register(holder, "w1", ["build"]);
  const registering = registry.register(newcomer, "w1", ["mail"]);
  holder.close();
  const worker = await registering;
  assert.equal(worker.connection, newcomer);
  assert.deepEqual(registry.workers.map((worker) => worker.targets), [["mail"]]);
});

Deno.test("a worker whose connection closes is forgotten", async () => {
  await using pairs = await acceptedConnections(2);
  const [a, b] = pairs.connections;
  const registry = new WorkerRegistry();
  await registry.register(a, "w1", ["build"]);
  await registry.register(b, "w2", ["build"]);
  a.close();
  await a.closed;
  assert.deepEqual(registry.workers.map((worker) => worker.name), ["w2"]);
  assert.equal(registry.get(a), undefined);
  assert.deepEqual(registry.serving("build").map((worker) => worker.name), ["w2"]);
  b.close();
  await b.closed;
  assert.equal(registry.isServed("build"), false);
});

Deno.test("servingAny gives each worker serving some of the targets those it serves, in its own order", async () => {
  await using pairs = await acceptedConnections(3);
  const [a, b, c] = pairs.connections;
  const registry = new WorkerRegistry();
  const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
  await registry.register(a, "w2", ["mail", ...many]);
  await registry.register(b, "w1", ["build", "mail"]);
  await registry.register(c, "w3", ["video"]);
  const byWorker = registry.servingAny([...many.toReversed(), "mail", "build", "none"]);
  assert.deepEqual(
    [...byWorker].map(([worker, targets]) => [worker.name, targets]),
    [["w1", ["build", "mail"]], ["w2", ["mail", ...many]]],
  );
  await registry.register(a, "w2", ["mail"]);
  assert.equal(registry.isServed("t9999"), false, "targets dropped by a new registration");
  assert.deepEqual(registry.serving("mail").map((worker) => worker.name), ["w1", "w2"]);
});

Deno.test("registration listeners hear of new and updated registrations", async () => {
  await using pairs = await acceptedConnections(1);
  const [a] = pairs.connections;
  const registry = new WorkerRegistry();
  const heard: string[][] = [];
  registry.onRegister((worker: RegisteredWorker) => heard.push([...worker.targets]));
  await registry.register(a, "w1", ["build"]);
  await registry.register(a, "w1", ["build", "mail"]);
  assert.deepEqual(heard, [["build"], ["build", "mail"]]);
});

Deno.test("closeAll() closes every worker connection and empties the registry", async () => {
  await using pairs = await acceptedConnections(2);
  const [a, b] = pairs.connections;
  const registry = new WorkerRegistry();
  await registry.register(a, "w1", []);
  await registry.register(b, "w2", []);
  registry.closeAll();
  await Promise.all([a.closed, b.closed]);
  assert.equal(registry.size, 0);
});
