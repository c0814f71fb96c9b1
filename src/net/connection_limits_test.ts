/**
 * What one peer can make a Connection hold: a peer that sends without
 * reading, too many requests or bytes in progress at once, and a peer that
 * pipelines large requests while reading its answers (src/protocol/limits.ts).
 */

import assert from "node:assert/strict";
import type { Request } from "../protocol/messages.ts";
import { connectPair, RawPeer } from "../../tests/helpers/connections.ts";
import { within } from "../../tests/helpers/worker_in_process.ts";

const echo = (request: Request) => Promise.resolve(request.data);

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
  const release = Promise.withResolvers<void>();
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
  const release = Promise.withResolvers<void>();
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

Deno.test("a peer that begins a message and does not end it in time is disconnected", async () => {
  await using peer = await RawPeer.connect({ maxMessageArrivalMs: 300, onRequest: echo });
  await peer.send(`[0,{"no":1,"type":"echo","data":{"whole":1}}]\x04[0,{"no":2,"type":"ec`);
  assert.equal(await peer.readFrame(), `[1,{"no":1,"data":{"whole":1}}]\x04`);
  // No EOT follows: the server gives up on the message and the connection.
  assert.equal(await within(peer.readFrame(), "the server to close the connection"), null);
  await peer.server.closed;
});

Deno.test("a connection with no message begun may stay idle past the arrival limit", async () => {
  await using peer = await RawPeer.connect({ maxMessageArrivalMs: 200, onRequest: echo });
  await peer.send(`[0,{"no":1,"type":"echo","data":{"n":1}}]\x04`);
  assert.equal(await peer.readFrame(), `[1,{"no":1,"data":{"n":1}}]\x04`);
  let closed = false;
  peer.server.closed.then(() => closed = true);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(closed, false, "an idle connection was closed");
  // A message sent in pieces, each within the limit of its beginning, arrives whole.
  await peer.send(`[0,{"no":2,"type":"echo",`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await peer.send(`"data":{"n":2}}]\x04`);
  assert.equal(await peer.readFrame(), `[1,{"no":2,"data":{"n":2}}]\x04`);
});
