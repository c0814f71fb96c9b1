import assert from "node:assert/strict";
import type { Request } from "../protocol/messages.ts";
import { Connection } from "./connection.ts";
import {
  ConnectError,
  ConnectionClosedError,
  ListenError,
  RemoteError,
  RequestError,
} from "./errors.ts";
import {
  dispatchTo,
  type Handlers,
  Server,
  type ServerOptions,
  tooManyConnections,
  tooManyWaitingForPassword,
} from "./server.ts";
import { rejection } from "../../tests/helpers/assertions.ts";

/** A server on a free loopback port, closed when the test's scope ends. */
function listen(handlers: Handlers, options: Partial<ServerOptions> = {}) {
  const server = Server.listen({ hostname: "127.0.0.1", port: 0, handlers, ...options });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

/** A client connection to `server`, closed when the test's scope ends. */
async function connectTo(server: Server, password?: string) {
  const connection = await Connection.connect("127.0.0.1", server.addr.port, { password });
  return Object.assign(connection, {
    [Symbol.asyncDispose]: async () => {
      connection.close();
      await connection.closed;
    },
  });
}

const request = (type: string, data = {}): Request => ({ no: 1, type, data });

Deno.test("dispatchTo() hands the request's data and connection to the handler of its type", async () => {
  const calls: unknown[] = [];
  const dispatch = dispatchTo({
    status: (data, connection) => (calls.push([data, connection]), Promise.resolve("status")),
  });
  const connection = {} as Connection;
  assert.equal(await dispatch(request("status", { a: 1 }), connection), "status");
  assert.deepEqual(calls, [[{ a: 1 }, connection]]);
});

Deno.test("dispatchTo() refuses unknown types, inherited property names included", async () => {
  const dispatch = dispatchTo({ status: () => Promise.resolve("ok") });
  for (const type of ["nope", "", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
    const error = await rejection(dispatch(request(type), {} as Connection));
    assert.ok(error instanceof RequestError, type);
    assert.equal(error.message, `unknown request type: '${type}'`);
  }
});

Deno.test("a server listens on the real port when 0 is asked for and serves requests", async () => {
  await using server = listen({
    echo: (data, connection) => Promise.resolve({ data, peer: connection.peer }),
  });
  assert.equal(server.addr.hostname, "127.0.0.1");
  assert.ok(server.addr.port > 0);
  await using client = await connectTo(server);
  const [serverSide] = server.connections;
  assert.deepEqual(await client.request("echo", { n: 1 }), {
    data: { n: 1 },
    peer: serverSide.peer,
  });
  assert.equal(serverSide.remoteAddr.hostname, "127.0.0.1");
});

Deno.test("an unknown request type gets \"unknown request type: 'X'\" and the connection stays", async () => {
  await using server = listen({ status: () => Promise.resolve("fine") });
  await using client = await connectTo(server);
  const error = await rejection(client.request("pol"));
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, "unknown request type: 'pol'");
  assert.equal(await client.request("status"), "fine");
});

Deno.test("the server tracks live connections and forgets closed ones", async () => {
  await using server = listen({ status: () => Promise.resolve("fine") });
  const first = await connectTo(server);
  await using second = await connectTo(server);
  await first.request("status");
  await second.request("status");
  assert.equal(server.connections.size, 2);
  first.close();
  await first.closed;
  // The server side notices the close when its read ends.
  while (server.connections.size > 1) {
    await Promise.race([...server.connections].map((c) => c.closed));
  }
  assert.equal(server.connections.size, 1);
  assert.equal(await second.request("status"), "fine");
});

Deno.test("a handler's plain Error and RequestError both become error responses", async () => {
  await using server = listen({
    refuse: () => Promise.reject(new RequestError("targets are empty")),
    crash: () => Promise.reject(new Error("Cannot claim jobs: the table 'jobs' is gone")),
    "crash-sync": () => {
      throw new Error("thrown before any promise");
    },
  });
  await using client = await connectTo(server);
  const errors = await Promise.all(
    ["refuse", "crash", "crash-sync"].map((type) => rejection(client.request(type))),
  );
  assert.deepEqual(errors.map((error) => [error.name, error.message]), [
    ["RemoteError", "targets are empty"],
    ["RemoteError", "Cannot claim jobs: the table 'jobs' is gone"],
    ["RemoteError", "thrown before any promise"],
  ]);
  assert.equal(client.pendingCount, 0);
});

Deno.test("close() answers requests in flight first, then closes every connection", async () => {
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const server = listen({
    "run-manual": async () => {
      arrived.resolve();
      await release.promise;
      return { jobs: { "7": { result: "ok" } } };
    },
    status: () => Promise.resolve("idle"),
  });
  await using busy = await connectTo(server);
  await using idle = await connectTo(server);
  assert.equal(await idle.request("status"), "idle");
  const answer = busy.request("run-manual", { ids: [7] });
  await arrived.promise;
  const closing = server.close();
  // The idle connection is closed at once; the busy one waits for its answer.
  await idle.closed;
  assert.equal(busy.isClosed, false);
  release.resolve();
  assert.deepEqual(await answer, { jobs: { "7": { result: "ok" } } });
  await closing;
  await busy.closed;
  assert.equal(server.connections.size, 0);
  // No longer accepting.
  assert.ok(await rejection(connectTo(server)) instanceof ConnectError);
  await server.close(); // idempotent
});

Deno.test("stopListening() refuses new connections and keeps serving live ones", async () => {
  await using server = listen({ status: () => Promise.resolve("idle") });
  await using live = await connectTo(server);
  await server.stopListening();
  assert.ok(await rejection(connectTo(server)) instanceof ConnectError);
  assert.equal(await live.request("status"), "idle");
  assert.equal(server.connections.size, 1);
  await server.stopListening(); // idempotent
});

Deno.test("close() gives up on a request that outlasts its time limit", async () => {
  const arrived = Promise.withResolvers<void>();
  const never = Promise.withResolvers<void>();
  const server = listen({ hang: () => (arrived.resolve(), never.promise) });
  await using client = await connectTo(server);
  const answer = client.request("hang");
  await arrived.promise;
  await server.close(50);
  assert.ok(await rejection(answer) instanceof ConnectionClosedError);
  never.resolve();
});

Deno.test("the server enforces its password, and alwaysAllowLocalhost lets loopback in", async () => {
  const handlers = { status: () => Promise.resolve("fine") };
  {
    await using server = listen(handlers, { requiredPassword: "s3cret" });
    await using refused = await connectTo(server, "wrong");
    const error = await rejection(refused.request("status"));
    assert.equal(error.message, "invalid password");
    await refused.closed;
    await using allowed = await connectTo(server, "s3cret");
    assert.equal(await allowed.request("status"), "fine");
    assert.equal(await allowed.request("status"), "fine");
  }
  {
    await using server = listen(handlers, {
      requiredPassword: "s3cret",
      alwaysAllowLocalhost: true,
    });
    await using local = await connectTo(server);
    assert.equal(await local.request("status"), "fine");
  }
});

/** A raw socket to `server` that sends nothing; what it reads until the server closes it. */
async function idlePeer(server: Server) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const text = new Response(conn.readable).text().catch(() => "");
  return { text, close: () => conn.close() };
}

Deno.test("a peer that does not give the password in time is disconnected; one that did stays", async () => {
  await using server = listen({ status: () => Promise.resolve("fine") }, {
    requiredPassword: "s3cret",
    maxPasswordWaitMs: 300,
  });
  await using allowed = await connectTo(server, "s3cret");
  assert.equal(await allowed.request("status"), "fine");
  // Opened after the allowed one gave the password: were the allowed one
  // under the same clock, it would be closed before this one.
  const silent = await idlePeer(server);
  assert.equal(await silent.text, "");
  assert.equal(await allowed.request("status"), "fine");
  assert.equal(allowed.isClosed, false);
});

Deno.test("connections of one address waiting to give the password are bounded; others are not counted", async () => {
  const handlers = { status: () => Promise.resolve("fine") };
  {
    await using server = listen(handlers, {
      requiredPassword: "s3cret",
      maxUnauthorisedPerAddress: 2,
    });
    const first = await idlePeer(server);
    const second = await idlePeer(server);
    await until(() => server.connections.size === 2);
    const third = await idlePeer(server);
    assert.deepEqual(JSON.parse((await third.text).slice(0, -1)), [1, {
      no: 0,
      error: tooManyWaitingForPassword("127.0.0.1", 2),
    }]);
    // A place freed is taken by a client with the password, which then
    // stops counting: another silent peer fits beside it.
    first.close();
    await until(() => server.connections.size === 1);
    await using allowed = await connectTo(server, "s3cret");
    assert.equal(await allowed.request("status"), "fine");
    const fourth = await idlePeer(server);
    await until(() => server.connections.size === 3);
    assert.equal(await allowed.request("status"), "fine");
    second.close();
    fourth.close();
  }
  {
    // Loopback peers let in without the password never wait for it.
    await using server = listen(handlers, {
      requiredPassword: "s3cret",
      alwaysAllowLocalhost: true,
      maxUnauthorisedPerAddress: 0,
    });
    await using local = await connectTo(server);
    assert.equal(await local.request("status"), "fine");
  }
});

Deno.test("the server's maxMessageBytes applies to its connections", async () => {
  await using server = listen({ echo: (data) => Promise.resolve(data) }, { maxMessageBytes: 100 });
  await using client = await connectTo(server);
  assert.deepEqual(await client.request("echo", { fits: true }), { fits: true });
  const error = await rejection(client.request("echo", { pad: "x".repeat(200) }));
  assert.equal(error.message, "Message too large: exceeds the limit of 100 bytes");
  await client.closed;
});

Deno.test("listening on a port in use throws ListenError naming the address", async () => {
  await using first = listen({});
  const { port } = first.addr;
  const error = (() => {
    try {
      Server.listen({ hostname: "127.0.0.1", port, handlers: {} });
    } catch (error) {
      return error;
    }
    assert.fail("the second listen should have failed");
  })();
  assert.ok(error instanceof ListenError);
  assert.equal(error.address, `127.0.0.1:${port}`);
  assert.match(error.message, new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: `));
  assert.ok(error.cause instanceof Deno.errors.AddrInUse);
});

Deno.test("a connection over max_connections gets an error and is closed; the others go on", async () => {
  await using server = listen({ echo: (data) => Promise.resolve(data) }, { maxConnections: 2 });
  await using first = await connectTo(server);
  await using second = await connectTo(server);
  assert.deepEqual(await first.request("echo", { n: 1 }), { n: 1 });
  await using third = await connectTo(server);
  const error = await rejection(third.request("echo", { n: 3 }));
  assert.ok(error instanceof RemoteError || error instanceof ConnectionClosedError, String(error));
  if (error instanceof RemoteError) {
    assert.match(error.message, /too many connections: .* at most 2 \(max_connections\)/);
  }
  await third.closed;
  assert.deepEqual(await second.request("echo", { n: 2 }), { n: 2 });
  // A place freed is a place taken again.
  first.close();
  await until(() => server.connections.size === 1);
  await using fourth = await connectTo(server);
  assert.deepEqual(await fourth.request("echo", { n: 4 }), { n: 4 });
});

Deno.test("the error over max_connections reaches a raw client as a response numbered 0", async () => {
  await using server = listen({}, { maxConnections: 0 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  assert.deepEqual(JSON.parse(text.slice(0, -1)), [1, {
    no: 0,
    error: tooManyConnections(0),
  }]);
});

Deno.test("an answer never waits on a peer of another connection that does not read", async () => {
  const big = "z".repeat(64 * 1024);
  await using server = listen({
    big: () => Promise.resolve(big),
    status: () => Promise.resolve("fine"),
  });
  const hog = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const requests = Array.from({ length: 500 }, (_, i) => `[0,{"no":${i + 1},"type":"big"}]\x04`)
    .join("");
  const hogging = hog.write(new TextEncoder().encode(requests)).catch(() => 0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await using client = await connectTo(server);
  const started = performance.now();
  assert.equal(await client.request("status"), "fine");
  assert.ok(performance.now() - started < 1000);
  hog.close();
  await hogging;
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("Timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
