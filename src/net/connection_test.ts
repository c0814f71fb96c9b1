import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { MAX_REQUEST_NUMBER, type Request } from "../protocol/messages.ts";
import { Connection, INVALID_PASSWORD } from "./connection.ts";
import { connectPair, RawPeer } from "../../tests/helpers/connections.ts";
import { followingRequestNumber, takeRequestNumber } from "./request_numbers.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestError,
  RequestTimeoutError,
} from "./errors.ts";
import { rejection } from "../../tests/helpers/assertions.ts";

const echo = (request: Request) => Promise.resolve(request.data);

Deno.test("a request is answered with the handler's data", async () => {
  await using pair = await connectPair({ onRequest: echo });
  assert.deepEqual(await pair.client.request("echo", { a: [1, "ж"] }), { a: [1, "ж"] });
  assert.equal(pair.client.pendingCount, 0);
});

Deno.test("both sides of one connection can serve requests", async () => {
  await using pair = await connectPair(
    { onRequest: () => Promise.resolve("from the accepting side") },
    { onRequest: () => Promise.resolve("from the connecting side") },
  );
  assert.equal(await pair.client.request("x"), "from the accepting side");
  assert.equal(await pair.server.request("x"), "from the connecting side");
});

Deno.test("pipelined requests answered out of order are matched by number", async () => {
  const held: { request: Request; answer: (data: unknown) => void }[] = [];
  const allArrived = Promise.withResolvers<void>();
  await using pair = await connectPair({
    onRequest: (request) =>
      new Promise((answer) => {
        held.push({ request, answer });
        if (held.length === 20) allArrived.resolve();
      }),
  });
  const responses = Array.from({ length: 20 }, (_, i) => pair.client.request("job", { i }));
  await allArrived.promise;
  assert.equal(new Set(held.map(({ request }) => request.no)).size, 20);
  // Answer the last request first.
  for (const { request, answer } of held.toReversed()) answer({ answered: request.data.i });
  assert.deepEqual(
    await Promise.all(responses),
    Array.from({ length: 20 }, (_, i) => ({ answered: i })),
  );
});

Deno.test("a ping is answered with exactly [3] EOT on the same connection", async () => {
  await using peer = await RawPeer.connect({});
  await peer.send("[2]\x04");
  assert.equal(await peer.readFrame(), "[3]\x04");
  await peer.send("[2]\x04[2]\x04");
  assert.equal(await peer.readFrame(), "[3]\x04");
  assert.equal(await peer.readFrame(), "[3]\x04");
});

Deno.test("ping() gets a pong from the peer", async () => {
  await using pair = await connectPair({ onRequest: echo });
  assert.equal(pair.client.pongsReceived, 0);
  pair.client.ping();
  // The peer answers the ping before the request that follows it.
  await pair.client.request("echo");
  assert.equal(pair.client.pongsReceived, 1);
});

Deno.test("nextAnswer() resolves true at the next pong or response, false once closed", async () => {
  await using pair = await connectPair({ onRequest: echo });
  const pong = pair.client.nextAnswer();
  pair.client.ping();
  assert.equal(await pong, true);
  const response = pair.client.nextAnswer();
  await pair.client.request("echo");
  assert.equal(await response, true);
  const never = pair.client.nextAnswer();
  pair.client.close();
  assert.equal(await never, false);
  assert.equal(await pair.client.nextAnswer(), false);
});

Deno.test("the first request carrying the right password is served", async () => {
  const seen: Request[] = [];
  await using pair = await connectPair(
    { requiredPassword: "s3cret", onRequest: (request) => (seen.push(request), echo(request)) },
    { password: "s3cret" },
  );
  assert.deepEqual(await pair.client.request("first", { n: 1 }), { n: 1 });
  // Later requests on the authorised connection do not repeat the password.
  assert.deepEqual(await pair.client.request("second", { n: 2 }), { n: 2 });
  assert.deepEqual(seen.map((request) => [request.type, request.password]), [
    ["first", "s3cret"],
    ["second", undefined],
  ]);
});

Deno.test("a wrong password gets 'invalid password' and the server closes", async () => {
  const seen: string[] = [];
  await using pair = await connectPair(
    {
      requiredPassword: "s3cret",
      onRequest: (request) => (seen.push(request.type), echo(request)),
    },
    { password: "guess" },
  );
  const error = await rejection(pair.client.request("status"));
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, INVALID_PASSWORD);
  assert.equal(INVALID_PASSWORD, "invalid password");
  await pair.client.closed;
  await pair.server.closed;
  assert.deepEqual(seen, []);
});

Deno.test("a missing password gets 'invalid password' and the server closes", async () => {
  await using peer = await RawPeer.connect({ requiredPassword: "s3cret", onRequest: echo });
  await peer.send('[0,{"no":5,"type":"status","data":{}}]\x04');
  assert.equal(await peer.readFrame(), '[1,{"no":5,"error":"invalid password"}]\x04');
  assert.equal(await peer.readFrame(), null);
});

Deno.test("requests pipelined behind a refused one are not served", async () => {
  const seen: string[] = [];
  await using peer = await RawPeer.connect({
    requiredPassword: "s3cret",
    onRequest: (request) => (seen.push(request.type), echo(request)),
  });
  await peer.send(
    '[0,{"no":1,"type":"a","data":{}}]\x04' +
      '[0,{"no":2,"type":"b","data":{},"password":"s3cret"}]\x04',
  );
  assert.equal(await peer.readFrame(), '[1,{"no":1,"error":"invalid password"}]\x04');
  assert.equal(await peer.readFrame(), null);
  assert.deepEqual(seen, []);
});

Deno.test("with alwaysAllowLocalhost a loopback peer needs no password", async () => {
  await using pair = await connectPair({
    requiredPassword: "s3cret",
    alwaysAllowLocalhost: true,
    onRequest: echo,
  });
  assert.equal(pair.server.remoteAddr.hostname, "127.0.0.1");
  assert.deepEqual(await pair.client.request("status", { ok: 1 }), { ok: 1 });
});

Deno.test("without alwaysAllowLocalhost a loopback peer must give the password", async () => {
  await using pair = await connectPair({ requiredPassword: "s3cret", onRequest: echo });
  const error = await rejection(pair.client.request("status"));
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, "invalid password");
  await pair.client.closed;
});

Deno.test("a malformed message gets an error response and the connection stays usable", async () => {
  await using peer = await RawPeer.connect({ onRequest: echo });
  await peer.send("this is not json\x04");
  const unparsable = await peer.readMessage() as [number, { no: number; error: string }];
  assert.equal(unparsable[0], 1);
  assert.equal(unparsable[1].no, 0);
  assert.match(unparsable[1].error, /^Malformed message: not valid JSON: /);

  await peer.send('[0,{"no":8,"type":"poll","data":"all"}]\x04');
  assert.deepEqual(await peer.readMessage(), [1, {
    no: 8,
    error: "Malformed request: 'data' must be an object, got string",
  }]);

  await peer.send('[0,{"no":9,"type":"echo","data":{"still":"here"}}]\x04');
  assert.deepEqual(await peer.readMessage(), [1, { no: 9, data: { still: "here" } }]);
});

Deno.test("a success with no data is answered 'ok' and falsy data is kept", async () => {
  const answers: Record<string, unknown> = { none: undefined, zero: 0, empty: "", list: [] };
  await using pair = await connectPair({
    onRequest: (request) => Promise.resolve(answers[request.type]),
  });
  assert.equal(await pair.client.request("none"), "ok");
  assert.equal(await pair.client.request("zero"), 0);
  assert.equal(await pair.client.request("empty"), "");
  assert.deepEqual(await pair.client.request("list"), []);
});

Deno.test("closing with requests pending rejects them with ConnectionClosedError, saying whether each was sent", async () => {
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  await using pair = await connectPair({
    onRequest: () => (arrived.resolve(), release.promise),
  });
  const pending = pair.client.request("run-manual", { ids: [1] });
  await arrived.promise;
  assert.equal(pair.client.pendingCount, 1);
  pair.client.close();
  const error = await rejection(pending);
  assert.ok(error instanceof ConnectionClosedError);
  assert.match(error.message, /closed before request 'run-manual' \(no \d+\) was answered/);
  assert.equal(error.sent, true, "the peer got it, and may have acted on it");
  assert.equal(pair.client.pendingCount, 0);
  assert.equal(pair.client.isClosed, true);
  // A request on the closed connection is refused at once.
  const late = await rejection(pair.client.request("status"));
  assert.ok(late instanceof ConnectionClosedError);
  assert.match(
    late.message,
    /^Cannot send 'status' to 127\.0\.0\.1:\d+: the connection is closed$/,
  );
  assert.equal(late.sent, false, "it never left: the peer surely did nothing");
  release.resolve();
});

Deno.test("the peer closing rejects pending requests with ConnectionClosedError", async () => {
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  await using pair = await connectPair({
    onRequest: () => (arrived.resolve(), release.promise),
  });
  const pending = pair.client.request("status");
  await arrived.promise;
  pair.server.close();
  assert.ok(await rejection(pending) instanceof ConnectionClosedError);
  await pair.client.closed;
  release.resolve();
});

Deno.test("a request without an answer in time rejects with RequestTimeoutError", async () => {
  const release = Promise.withResolvers<unknown>();
  await using pair = await connectPair({
    onRequest: (request) => request.type === "slow" ? release.promise : echo(request),
  });
  const error = await rejection(pair.client.request("slow", {}, { timeout: 0.05 }));
  assert.ok(error instanceof RequestTimeoutError);
  assert.equal(error.requestType, "slow");
  assert.equal(error.seconds, 0.05);
  assert.equal(error.message, "Request 'slow' timed out: no response within 0.05 s");
  assert.equal(pair.client.pendingCount, 0);
  // The late answer is ignored and the connection stays usable.
  release.resolve("late");
  assert.deepEqual(await pair.client.request("echo", { n: 1 }), { n: 1 });
});

Deno.test("an answer that comes after its request timed out is logged as late, naming the request", async () => {
  const lines: string[] = [];
  await configure({
    sinks: { lines: (record) => lines.push(`${record.level} ${renderMessage(record.message)}`) },
    loggers: [
      { category: ["jobd", "net"], sinks: ["lines"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    const release = Promise.withResolvers<unknown>();
    await using pair = await connectPair({
      onRequest: (request) => request.type === "stats" ? release.promise : echo(request),
    });
    await rejection(pair.client.request("stats", {}, { timeout: 0.05 }));
    release.resolve("late");
    // Answers come in order: once the echo is back, the late answer has been read.
    await pair.client.request("echo");
    const about = lines.filter((line) => /answer|response/i.test(line));
    assert.equal(about.length, 1, about.join("\n"));
    assert.match(
      about[0],
      /^info Late answer to request stats no \d+ from 127\.0\.0\.1:\d+: it came after the request timed out$/,
    );
  } finally {
    await reset();
  }
});

Deno.test("the connection's default request timeout applies to every request", async () => {
  const release = Promise.withResolvers<unknown>();
  await using pair = await connectPair(
    { onRequest: () => release.promise },
    { requestTimeout: 0.05 },
  );
  assert.ok(await rejection(pair.client.request("status")) instanceof RequestTimeoutError);
  release.resolve("late");
});

Deno.test("an oversized message gets an error response numbered 0, then the connection closes", async () => {
  await using peer = await RawPeer.connect({ maxMessageBytes: 64, onRequest: echo });
  await peer.send('[0,{"no":1,"type":"echo","data":{"pad":"' + "x".repeat(100) + '"}}]\x04');
  assert.deepEqual(await peer.readMessage(), [1, {
    no: 0,
    error: "Message too large: exceeds the limit of 64 bytes",
  }]);
  assert.equal(await peer.readFrame(), null);
  await peer.server.closed;
});

Deno.test("a client's oversized request is rejected with the server's error", async () => {
  await using pair = await connectPair({ maxMessageBytes: 64, onRequest: echo });
  assert.deepEqual(await pair.client.request("echo", { small: 1 }), { small: 1 });
  const error = await rejection(pair.client.request("echo", { pad: "x".repeat(100) }));
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, "Message too large: exceeds the limit of 64 bytes");
  await pair.client.closed;
});

Deno.test("request numbers wrap from 999,999 back to 1", async () => {
  const numbers: number[] = [];
  await using pair = await connectPair(
    { onRequest: (request) => (numbers.push(request.no), echo(request)) },
    { firstRequestNumber: MAX_REQUEST_NUMBER - 2 },
  );
  for (let i = 0; i < 4; i++) await pair.client.request("status");
  assert.deepEqual(numbers, [999_998, 999_999, 1, 2]);
});

Deno.test("request numbers start at a random number from 1 to 999,999 by default", async () => {
  const numbers: number[] = [];
  await using pair = await connectPair({
    onRequest: (request) => (numbers.push(request.no), echo(request)),
  });
  await pair.client.request("status");
  await pair.client.request("status");
  assert.ok(numbers[0] >= 1 && numbers[0] < MAX_REQUEST_NUMBER, `got ${numbers[0]}`);
  assert.equal(numbers[1], followingRequestNumber(numbers[0]));
});

Deno.test("firstRequestNumber outside 1 to 999,999 is refused", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  for (const first of [0, MAX_REQUEST_NUMBER, 1.5]) {
    const connecting = Connection.connect("127.0.0.1", listener.addr.port, {
      firstRequestNumber: first,
    });
    const accepted = await listener.accept();
    await assert.rejects(connecting, RangeError);
    accepted.close();
  }
});

Deno.test("a new request number skips numbers still pending, across the wrap", () => {
  const pending = new Set([999_998, 999_999, 1, 2, 5]);
  const isPending = (no: number) => pending.has(no);
  assert.equal(takeRequestNumber(7, isPending), 7);
  assert.equal(takeRequestNumber(4, isPending), 4);
  assert.equal(takeRequestNumber(5, isPending), 6);
  assert.equal(takeRequestNumber(999_998, isPending), 3);
  assert.equal(followingRequestNumber(999_998), 999_999);
  assert.equal(followingRequestNumber(999_999), 1);
  assert.throws(() => takeRequestNumber(1, () => true), RangeError);
});

Deno.test("a handler's plain Error and its RequestError both become error responses", async () => {
  await using pair = await connectPair({
    onRequest: (request) => {
      switch (request.type) {
        case "refuse":
          throw new RequestError("'target' must be string");
        case "fail":
          return Promise.reject(new Error("database is gone"));
        case "throw-now":
          // A synchronous throw, before any promise exists.
          throw new TypeError("cannot read properties of undefined");
        case "reject-string":
          return Promise.reject("a string, not an Error");
        default:
          return Promise.resolve("fine");
      }
    },
  });
  const outcomes = await Promise.allSettled(
    ["refuse", "fail", "throw-now", "reject-string"].map((type) => pair.client.request(type)),
  );
  assert.deepEqual(
    outcomes.map((outcome) => {
      assert.equal(outcome.status, "rejected");
      assert.ok(outcome.reason instanceof RemoteError);
      return [outcome.reason.requestType, outcome.reason.message];
    }),
    [
      ["refuse", "'target' must be string"],
      ["fail", "database is gone"],
      ["throw-now", "cannot read properties of undefined"],
      ["reject-string", "a string, not an Error"],
    ],
  );
  // Every failed request was answered, and the connection still serves.
  assert.equal(pair.client.pendingCount, 0);
  assert.equal(await pair.client.request("status"), "fine");
});

Deno.test("without a request handler every request gets 'unknown request type'", async () => {
  await using pair = await connectPair();
  const error = await rejection(pair.client.request("status"));
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, "unknown request type: 'status'");
});

Deno.test("closeGracefully() answers the requests being served, then closes", async () => {
  const arrived = Promise.withResolvers<void>();
  const release = Promise.withResolvers<unknown>();
  await using pair = await connectPair({
    onRequest: () => (arrived.resolve(), release.promise),
  });
  const pending = pair.client.request("run-manual");
  await arrived.promise;
  const closing = pair.server.closeGracefully();
  release.resolve({ done: true });
  assert.deepEqual(await pending, { done: true });
  await closing;
  await pair.client.closed;
});

Deno.test("connecting to a closed port throws ConnectError naming the address", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await rejection(Connection.connect("127.0.0.1", port));
  assert.ok(error instanceof ConnectError);
  assert.equal(error.host, "127.0.0.1");
  assert.equal(error.port, port);
  assert.match(error.message, new RegExp(`^Cannot connect to 127\\.0\\.0\\.1:${port}: `));
});

Deno.test("peer and remoteAddr name the other side", async () => {
  await using pair = await connectPair();
  assert.equal(pair.client.remoteAddr.hostname, "127.0.0.1");
  assert.equal(pair.client.peer, `127.0.0.1:${pair.client.remoteAddr.port}`);
  assert.equal(pair.server.peer, `127.0.0.1:${pair.server.remoteAddr.port}`);
});

Deno.test("data that cannot be encoded as JSON gets an error response", async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await using pair = await connectPair({
    onRequest: (request) => Promise.resolve(request.type === "bigint" ? { n: 1n } : circular),
  });
  for (const type of ["bigint", "circular"]) {
    const error = await rejection(pair.client.request(type));
    assert.ok(error instanceof RemoteError, type);
    assert.match(error.message, /^Cannot encode the response: /);
  }
  assert.equal(pair.client.pendingCount, 0);
});

Deno.test("a request whose data cannot be encoded is rejected and nothing is sent", async () => {
  const seen: string[] = [];
  await using pair = await connectPair(
    {
      requiredPassword: "s3cret",
      onRequest: (request) => (seen.push(request.type), echo(request)),
    },
    { password: "s3cret", requestTimeout: 60 },
  );
  const error = await rejection(pair.client.request("bad", { n: 1n }));
  assert.ok(error instanceof TypeError);
  assert.match(error.message, /^Cannot encode request 'bad': /);
  assert.equal(pair.client.pendingCount, 0);
  // The password goes with the first request actually sent.
  assert.deepEqual(await pair.client.request("good", { n: 1 }), { n: 1 });
  assert.deepEqual(seen, ["good"]);
});

Deno.test("passwordChecked tells a peer that gave the password from one let in otherwise", async () => {
  {
    await using pair = await connectPair({ requiredPassword: "pw", onRequest: echo }, {
      password: "pw",
    });
    await pair.client.request("x");
    assert.equal(pair.server.passwordChecked, true);
  }
  {
    await using pair = await connectPair({
      requiredPassword: "pw",
      alwaysAllowLocalhost: true,
      onRequest: echo,
    });
    await pair.client.request("x");
    assert.equal(pair.server.passwordChecked, false);
  }
});

/** A record's message as text: strings as they are, other values as JSON. */
function renderMessage(message: LogRecord["message"]): string {
  return message.map((part) => typeof part === "string" ? part : JSON.stringify(part)).join("");
}
