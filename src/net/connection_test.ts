import assert from "node:assert/strict";
import { MAX_REQUEST_NUMBER, type Request } from "../protocol/messages.ts";
import { Connection, type ConnectionOptions, INVALID_PASSWORD } from "./connection.ts";
import { followingRequestNumber, takeRequestNumber } from "./request_numbers.ts";
import {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestError,
  RequestTimeoutError,
} from "./errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Two connected Connections over a real loopback socket: `accepted` is the
 * listening side, `outgoing` the side that called Connection.connect.
 */
async function connectPair(accepted: ConnectionOptions = {}, outgoing: ConnectionOptions = {}) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [conn, client] = await Promise.all([
    listener.accept(),
    Connection.connect("127.0.0.1", listener.addr.port, outgoing),
  ]);
  conn.setNoDelay(true);
  const server = new Connection(conn, accepted);
  return {
    server,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      server.close();
      await Promise.all([client.closed, server.closed]);
    },
  };
}

/** A plain socket that sends and reads raw bytes, to check the exact wire format. */
class RawPeer implements AsyncDisposable {
  #buffered = "";
  private constructor(readonly conn: Deno.TcpConn, readonly server: Connection) {}

  /** A raw client socket and the Connection that accepted it. */
  static async connect(options: ConnectionOptions): Promise<RawPeer> {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const [accepted, conn] = await Promise.all([
      listener.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ]);
    // As Server and Connection.connect do: small messages go out at once.
    conn.setNoDelay(true);
    accepted.setNoDelay(true);
    return new RawPeer(conn, new Connection(accepted, options));
  }

  async send(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** The next message as sent, EOT included; null when the peer closed first. */
  async readFrame(): Promise<string | null> {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const end = this.#buffered.indexOf("\x04");
      if (end !== -1) {
        const frame = this.#buffered.slice(0, end + 1);
        this.#buffered = this.#buffered.slice(end + 1);
        return frame;
      }
      const count = await this.conn.read(buffer);
      if (count === null) return null;
      this.#buffered += decoder.decode(buffer.subarray(0, count), { stream: true });
    }
  }

  /** The next message, parsed. */
  async readMessage(): Promise<unknown> {
    const frame = await this.readFrame();
    assert.ok(frame !== null, "the peer closed the connection instead of answering");
    return JSON.parse(frame.slice(0, -1));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.conn.close();
    this.server.close();
    await this.server.closed;
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return await promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error) => error,
  );
}

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
  const allArrived = deferred();
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

Deno.test("closing with requests pending rejects them with ConnectionClosedError", async () => {
  const arrived = deferred();
  const release = deferred();
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
  assert.equal(pair.client.pendingCount, 0);
  assert.equal(pair.client.isClosed, true);
  // A request on the closed connection is refused at once.
  const late = await rejection(pair.client.request("status"));
  assert.ok(late instanceof ConnectionClosedError);
  assert.match(
    late.message,
    /^Cannot send 'status' to 127\.0\.0\.1:\d+: the connection is closed$/,
  );
  release.resolve();
});

Deno.test("the peer closing rejects pending requests with ConnectionClosedError", async () => {
  const arrived = deferred();
  const release = deferred();
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
  const release = deferred<unknown>();
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

Deno.test("the connection's default request timeout applies to every request", async () => {
  const release = deferred<unknown>();
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
  const arrived = deferred();
  const release = deferred<unknown>();
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

Deno.test("a peer that sends without reading is not read from until it reads; nothing is lost", async () => {
  const megabyte = "x".repeat(1024 * 1024);
  let served = 0;
  await using peer = await RawPeer.connect({
    maxQueuedBytes: 1024 * 1024,
    onRequest: () => (served++, Promise.resolve(megabyte)),
  });
  const count = 64;
  const requests = Array.from(
    { length: count },
    (_, index) => `[0,{"no":${index + 1},"type":"big","data":{}}]\x04`,
  );
  await peer.send(requests.join(""));
  // Let the server go as far as it goes while nothing is read.
  let seen = -1;
  for (let still = 0; still < 5; still++) {
    if (served !== seen) still = 0;
    seen = served;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(served < count, `all ${count} requests served while the peer read nothing`);
  // Every response arrives once the peer reads.
  const frameBytes = (no: number) => `[1,{"no":${no},"data":""}]\x04`.length + megabyte.length;
  let expected = 0;
  for (let no = 1; no <= count; no++) expected += frameBytes(no);
  const buffer = new Uint8Array(1024 * 1024);
  let received = 0;
  let frames = 0;
  while (received < expected) {
    const read = await peer.conn.read(buffer);
    assert.notEqual(read, null, "the connection closed early");
    received += read!;
    frames += buffer.subarray(0, read!).filter((byte) => byte === 4).length;
  }
  assert.deepEqual([received, frames, served], [expected, count, count]);
});

Deno.test("requests beyond the number served at once are answered at once with an error", async () => {
  const release = deferred();
  await using peer = await RawPeer.connect({
    maxUnansweredRequests: 3,
    onRequest: async (request) => {
      await release.promise;
      return request.no;
    },
  });
  const requests = [1, 2, 3, 4, 5].map((no) => `[0,{"no":${no},"type":"wait"}]\x04`);
  await peer.send(requests.join(""));
  // The two over the bound are refused without waiting for the others.
  for (const no of [4, 5]) {
    assert.deepEqual(await peer.readMessage(), [1, {
      no,
      error:
        "too many requests in progress on this connection (at most 3): wait for answers before sending more",
    }]);
  }
  release.resolve();
  const answers = [await peer.readMessage(), await peer.readMessage(), await peer.readMessage()];
  assert.deepEqual(answers.map((answer) => (answer as [number, { data: number }])[1].data), [
    1,
    2,
    3,
  ]);
  // Served ones free their places: the connection serves again.
  await peer.send(`[0,{"no":6,"type":"wait"}]\x04`);
  assert.deepEqual(await peer.readMessage(), [1, { no: 6, data: 6 }]);
});

Deno.test("a request that would pass the bytes in progress is refused; a single one is always served", async () => {
  const release = deferred();
  await using peer = await RawPeer.connect({
    maxUnansweredBytes: 100,
    onRequest: async (request) => {
      await release.promise;
      return request.no;
    },
  });
  const padding = "x".repeat(120);
  await peer.send(`[0,{"no":1,"type":"wait","data":{"p":"${padding}"}}]\x04`);
  await peer.send(`[0,{"no":2,"type":"wait"}]\x04`);
  const refusal = await peer.readMessage() as [number, { no: number; error: string }];
  assert.equal(refusal[1].no, 2);
  assert.match(refusal[1].error, /too many bytes of requests in progress .*at most 100/);
  release.resolve();
  assert.deepEqual(await peer.readMessage(), [1, { no: 1, data: 1 }]);
});

Deno.test("a peer that pipelines without reading makes its connection hold little", async () => {
  const answer = { text: "y".repeat(500) };
  let served = 0;
  await using peer = await RawPeer.connect({
    onRequest: () => (served++, Promise.resolve(answer)),
  });
  const batch = Array.from({ length: 1000 }, (_, i) => `[0,{"no":${i + 1},"type":"s"}]\x04`)
    .join("");
  // Writes until the server stops reading and the socket buffers fill up.
  const writing = (async () => {
    for (let round = 0; round < 100; round++) await peer.send(batch);
  })().catch(() => {});
  let seen = -1;
  for (let still = 0; still < 5; still++) {
    if (served !== seen) still = 0;
    seen = served;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // 1 MiB queued plus what the kernel's socket buffers hold; with 16 MiB
  // queued (as before) this was over 30,000 answers.
  const answerBytes = JSON.stringify([1, { no: 1000, data: answer }]).length + 1;
  assert.ok(served * answerBytes < 8 * 1024 * 1024, `${served} answers served unread`);
  // Closing the server's side (unread bytes: a reset) ends the blocked write.
  peer.server.close();
  await writing;
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

Deno.test("a peer pipelining large requests and reading their answers never stalls both sides", async () => {
  // Each side has far more than the 1 MiB bound queued: the client's own
  // requests must not stop it reading the answers, or neither side reads.
  await using pair = await connectPair({ onRequest: echo });
  const data = { text: "q".repeat(100 * 1024) };
  const answers = await Promise.all(
    Array.from({ length: 200 }, () => pair.client.request("echo", data, { timeout: 60 })),
  );
  assert.equal(answers.length, 200);
  assert.deepEqual(answers[199], data);
});
