import assert from "node:assert/strict";
import {
  captureOutput,
  READ_BUFFER_BYTES,
  ReadBufferPool,
  truncationMarker,
} from "./output_capture.ts";

const encoder = new TextEncoder();

/** A stream that yields each chunk as given, one read at a time. */
function streamOf(...chunks: (string | number[] | Uint8Array)[]): ReadableStream<Uint8Array> {
  const queue = chunks.map((chunk) =>
    typeof chunk === "string"
      ? encoder.encode(chunk)
      : chunk instanceof Uint8Array
      ? chunk
      : new Uint8Array(chunk)
  );
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

Deno.test("output below the limit is kept whole, without a marker", async () => {
  const captured = await captureOutput(streamOf("hello ", "world\n"), 100);
  assert.deepEqual(captured, { text: "hello world\n", totalBytes: 12, droppedBytes: 0 });
});

Deno.test("output of exactly the limit is kept whole, without a marker", async () => {
  const captured = await captureOutput(streamOf("12345", "67890"), 10);
  assert.deepEqual(captured, { text: "1234567890", totalBytes: 10, droppedBytes: 0 });
});

Deno.test("output above the limit keeps its start and says how many bytes were dropped", async () => {
  const captured = await captureOutput(streamOf("12345", "67890", "abcde"), 7);
  assert.equal(captured.text, "1234567\n[jobd: output truncated, 8 bytes dropped]");
  assert.equal(captured.totalBytes, 15);
  assert.equal(captured.droppedBytes, 8);
  assert.equal(truncationMarker(8), "\n[jobd: output truncated, 8 bytes dropped]");
});

Deno.test("the stream is drained to its end however much is dropped", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const chunks = Array.from({ length: 160 }, () => chunk);
  const captured = await captureOutput(streamOf(...chunks), 1024);
  assert.equal(captured.totalBytes, 160 * 64 * 1024);
  assert.equal(captured.droppedBytes, 160 * 64 * 1024 - 1024);
  assert.equal(captured.text, "a".repeat(1024) + truncationMarker(160 * 64 * 1024 - 1024));
});

Deno.test("a zero limit keeps nothing but the marker", async () => {
  const captured = await captureOutput(streamOf("abc"), 0);
  assert.equal(captured.text, truncationMarker(3));
  assert.deepEqual(await captureOutput(streamOf(), 0), {
    text: "",
    totalBytes: 0,
    droppedBytes: 0,
  });
});

Deno.test("invalid UTF-8 is decoded with replacement characters", async () => {
  const captured = await captureOutput(streamOf([0x61, 0xff, 0x62, 0xc3, 0x28, 0x63]), 100);
  assert.equal(captured.text, "a\uFFFDb\uFFFD(c");
  assert.equal(captured.droppedBytes, 0);
});

Deno.test("a multi-byte character split across chunks decodes whole", async () => {
  const euro = [...encoder.encode("€")]; // 3 bytes
  const smile = [...encoder.encode("😀")]; // 4 bytes
  const captured = await captureOutput(
    streamOf([0x78, euro[0]], [euro[1]], [euro[2], smile[0], smile[1]], [smile[2], smile[3]]),
    100,
  );
  assert.equal(captured.text, "x€😀");
});

Deno.test("a character cut by the limit is dropped whole and counted", async () => {
  // "ab€" is 5 bytes; a limit of 4 would keep "ab" plus two bytes of "€".
  const captured = await captureOutput(streamOf("ab€cd"), 4);
  assert.equal(captured.text, "ab" + truncationMarker(5));
  assert.equal(captured.droppedBytes, 5);
  const emoji = await captureOutput(streamOf("😀😀"), 7);
  assert.equal(emoji.text, "😀" + truncationMarker(4));
});

Deno.test("a character ending exactly at the limit is kept", async () => {
  const captured = await captureOutput(streamOf("ab€", "cd"), 5);
  assert.equal(captured.text, "ab€" + truncationMarker(2));
});

Deno.test("a byte order mark at the start is kept", async () => {
  const captured = await captureOutput(streamOf([0xef, 0xbb, 0xbf, 0x61]), 100);
  assert.equal(captured.text, "\uFEFFa");
});

Deno.test("a stream that fails keeps what was read and notes the failure", async () => {
  let reads = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      reads += 1;
      if (reads === 1) controller.enqueue(encoder.encode("partial"));
      else controller.error(new Error("pipe broke"));
    },
  });
  const captured = await captureOutput(stream, 100);
  assert.equal(captured.text, "partial\n[jobd: output capture failed after 7 bytes: pipe broke]");
});

Deno.test("an invalid limit is refused", async () => {
  await assert.rejects(() => captureOutput(streamOf("x"), -1), RangeError);
  await assert.rejects(() => captureOutput(streamOf("x"), 1.5), RangeError);
});

/** A byte stream (like a child's pipe, readable into a buffer of ours) of the given chunks. */
function byteStreamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const queue = chunks.map((chunk) => encoder.encode(chunk));
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) {
        controller.close();
        controller.byobRequest?.respond(0);
      } else controller.enqueue(next);
    },
  });
}

Deno.test("a byte stream is read into a pooled buffer, which goes back to the pool", async () => {
  const pool = new ReadBufferPool();
  const captured = await captureOutput(byteStreamOf("hello ", "world"), 100, { buffers: pool });
  assert.equal(captured.text, "hello world");
  assert.equal(pool.idle, 1);
  const buffer = pool.take();
  assert.equal(buffer.byteLength, READ_BUFFER_BYTES);
  assert.equal(buffer.detached, false);
});

Deno.test("captures one after another reuse one buffer and keep nothing of each other", async () => {
  const pool = new ReadBufferPool();
  const first = await captureOutput(byteStreamOf("x".repeat(1000)), 2000, { buffers: pool });
  const second = await captureOutput(byteStreamOf("short"), 2000, { buffers: pool });
  assert.equal(first.text, "x".repeat(1000));
  assert.equal(second.text, "short");
  assert.equal(pool.idle, 1);
});

Deno.test("captures at the same time each take a buffer of their own", async () => {
  const pool = new ReadBufferPool();
  const texts = ["one", "two", "three"];
  const captured = await Promise.all(
    texts.map((text) => captureOutput(byteStreamOf(text), 10, { buffers: pool })),
  );
  assert.deepEqual(captured.map((output) => output.text), texts);
  assert.equal(pool.idle, 3);
});

Deno.test("a failed byte stream does not give its transferred buffer back", async () => {
  const pool = new ReadBufferPool();
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull(controller) {
      controller.error(new Error("pipe broke"));
    },
  });
  const captured = await captureOutput(stream, 100, { buffers: pool });
  assert.equal(captured.text, "\n[jobd: output capture failed after 0 bytes: pipe broke]");
  assert.equal(pool.idle, 0);
});

Deno.test("the pool keeps at most its bound, once each, and only intact buffers of its size", () => {
  const pool = new ReadBufferPool(2);
  const kept = pool.take();
  pool.give(kept);
  pool.give(kept);
  assert.equal(pool.idle, 1);
  pool.give(new ArrayBuffer(READ_BUFFER_BYTES / 2));
  const transferred = new ArrayBuffer(READ_BUFFER_BYTES);
  transferred.transfer();
  pool.give(transferred);
  assert.equal(pool.idle, 1);
  pool.give(new ArrayBuffer(READ_BUFFER_BYTES));
  pool.give(new ArrayBuffer(READ_BUFFER_BYTES));
  assert.equal(pool.idle, 2);
  assert.throws(() => new ReadBufferPool(-1), RangeError);
});

Deno.test("a stop ends a capture that would wait for ever, keeping what was read and a note", async () => {
  const pool = new ReadBufferPool();
  let sent = false;
  // One chunk, then the stream stays open with nothing more to read.
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull(controller) {
      if (!sent) controller.enqueue(encoder.encode("so far"));
      sent = true;
      return new Promise(() => {});
    },
  });
  const stop = new AbortController();
  const capturing = captureOutput(stream, 100, { buffers: pool, stop: stop.signal });
  await new Promise((resolve) => setTimeout(resolve, 20));
  stop.abort("stopped reading: the pipe stayed open");
  const captured = await capturing;
  assert.equal(captured.text, "so far\n[jobd: stopped reading: the pipe stayed open]");
  assert.equal(captured.totalBytes, 6);
});
