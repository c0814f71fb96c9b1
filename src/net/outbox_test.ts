import assert from "node:assert/strict";
import { Outbox } from "./outbox.ts";

/** A writable stream that records each write and holds it until `release()`. */
function heldSink() {
  const writes: Uint8Array[] = [];
  let releaseNext: (() => void) | undefined;
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      writes.push(chunk.slice());
      return new Promise<void>((resolve) => releaseNext = resolve);
    },
  });
  return {
    writer: stream.getWriter(),
    writes,
    release() {
      const release = releaseNext;
      releaseNext = undefined;
      release?.();
    },
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => chunks.map((chunk) => new TextDecoder().decode(chunk));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("what is queued during a write goes out in order as one batch", async () => {
  const sink = heldSink();
  let written = 0;
  const outbox = new Outbox(sink.writer, {
    onWritten: () => written++,
    onError: (error) => assert.fail(String(error)),
  });
  const first = outbox.write(bytes("a"), true);
  outbox.write(bytes("b"), true);
  const last = outbox.write(bytes("c"));
  await tick();
  assert.deepEqual(text(sink.writes), ["a"]);
  assert.equal(outbox.queuedBytes, 3);
  assert.equal(outbox.answerBytes, 2);
  sink.release();
  await first;
  await tick();
  assert.deepEqual(text(sink.writes), ["a", "bc"]);
  sink.release();
  await last;
  assert.deepEqual([outbox.queuedBytes, outbox.answerBytes, written], [0, 0, 2]);
});

Deno.test("close() drops what is queued and every waiting write resolves", async () => {
  const sink = heldSink();
  const outbox = new Outbox(sink.writer, {
    onWritten: () => {},
    onError: (error) => assert.fail(String(error)),
  });
  const waiting = [outbox.write(bytes("a")), outbox.write(bytes("b"))];
  await tick();
  outbox.close();
  await Promise.all(waiting);
  assert.equal(outbox.queuedBytes, 0);
  await outbox.write(bytes("after"));
  assert.deepEqual(text(sink.writes), ["a"]);
  sink.release();
});

Deno.test("a failed write is reported once and resolves its waiters", async () => {
  const errors: unknown[] = [];
  const stream = new WritableStream<Uint8Array>({
    write: () => Promise.reject(new Error("broken pipe")),
  });
  const outbox = new Outbox(stream.getWriter(), {
    onWritten: () => {},
    onError: (error) => errors.push(error),
  });
  await outbox.write(bytes("a"));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /broken pipe/);
});
