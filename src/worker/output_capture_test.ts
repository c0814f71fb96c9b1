import assert from "node:assert/strict";
import { captureOutput, truncationMarker } from "./output_capture.ts";

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
