import assert from "node:assert/strict";
import { Connection } from "../net/connection.ts";
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
  registry.register(a, "w2", ["build", "mail"]);
  registry.register(b, "w1", ["mail"]);
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
  const first = registry.register(a, "w1", ["build"]);
  const second = registry.register(a, "w1", ["build", "mail"]);
  assert.equal(second, first);
  assert.equal(registry.size, 1);
  assert.deepEqual(registry.workers[0].targets, ["build", "mail"]);
  assert.equal(registry.isServed("mail"), true, "the new target is served");
  registry.register(a, "w1", ["mail"]);
  assert.equal(registry.isServed("build"), false, "the dropped target is no longer served");
});

Deno.test("a name registered on another connection replaces the old entry and closes it", async () => {
  await using pairs = await acceptedConnections(2);
  const [old, fresh] = pairs.connections;
  const registry = new WorkerRegistry();
  registry.register(old, "w1", ["build"]);
  registry.register(fresh, "w1", ["mail"]);
  assert.equal(registry.size, 1);
  assert.equal(registry.workers[0].connection, fresh);
  assert.deepEqual(registry.workers[0].targets, ["mail"]);
  assert.equal(old.isClosed, true);
});

Deno.test("a worker whose connection closes is forgotten", async () => {
  await using pairs = await acceptedConnections(2);
  const [a, b] = pairs.connections;
  const registry = new WorkerRegistry();
  registry.register(a, "w1", ["build"]);
  registry.register(b, "w2", ["build"]);
  a.close();
  await a.closed;
  assert.deepEqual(registry.workers.map((worker) => worker.name), ["w2"]);
  assert.equal(registry.get(a), undefined);
});

Deno.test("registration listeners hear of new and updated registrations", async () => {
  await using pairs = await acceptedConnections(1);
  const [a] = pairs.connections;
  const registry = new WorkerRegistry();
  const heard: string[][] = [];
  registry.onRegister((worker: RegisteredWorker) => heard.push([...worker.targets]));
  registry.register(a, "w1", ["build"]);
  registry.register(a, "w1", ["build", "mail"]);
  assert.deepEqual(heard, [["build"], ["build", "mail"]]);
});

Deno.test("closeAll() closes every worker connection and empties the registry", async () => {
  await using pairs = await acceptedConnections(2);
  const [a, b] = pairs.connections;
  const registry = new WorkerRegistry();
  registry.register(a, "w1", []);
  registry.register(b, "w2", []);
  registry.closeAll();
  await Promise.all([a.closed, b.closed]);
  assert.equal(registry.size, 0);
});
