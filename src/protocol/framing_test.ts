import assert from "node:assert/strict";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  EOT,
  EotFramer,
  frame,
  MessageTooLargeError,
} from "./framing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Feeds `chunks` to a framer and collects the messages as text. */
function split(chunks: (string | Uint8Array)[], maxMessageBytes?: number): Promise<string[]> {
  const framer = new EotFramer(maxMessageBytes);
  try {
    const messages = chunks.flatMap((chunk) =>
      framer.push(typeof chunk === "string" ? bytes(chunk) : chunk)
    );
    return Promise.resolve(messages.map((message) => decoder.decode(message)));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Deterministic PRNG (mulberry32), so a failing round can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

Deno.test("frame() encodes the JSON text as UTF-8 followed by one EOT byte", () => {
  assert.deepEqual(frame('["é"]'), new Uint8Array([0x5b, 0x22, 0xc3, 0xa9, 0x22, 0x5d, EOT]));
  assert.deepEqual(frame(""), new Uint8Array([EOT]));
});

Deno.test("many messages in one chunk come out one by one", async () => {
  assert.deepEqual(await split(["[2]\x04[3]\x04[0,{}]\x04"]), ["[2]", "[3]", "[0,{}]"]);
});

Deno.test("one message spread over many chunks comes out whole", async () => {
  assert.deepEqual(await split(["[1,", '{"no"', ":", "5}", "]", "\x04"]), ['[1,{"no":5}]']);
  const oneBytePerChunk = [...bytes('[0,{"type":"status"}]\x04')].map((b) => new Uint8Array([b]));
  assert.deepEqual(await split(oneBytePerChunk), ['[0,{"type":"status"}]']);
});

Deno.test("an EOT as the first or the last byte of a chunk ends the message", async () => {
  assert.deepEqual(await split(["[2]", "\x04[3]", "\x04"]), ["[2]", "[3]"]);
  assert.deepEqual(await split(["[2]\x04", "[3]\x04", "[1]\x04"]), ["[2]", "[3]", "[1]"]);
  assert.deepEqual(await split(["\x04", "[2]\x04"]), ["", "[2]"]);
});

Deno.test("a multi-byte UTF-8 character split across chunks is rebuilt", async () => {
  const text = '["ж€😀"]';
  const encoded = bytes(text + "\x04");
  // Cut inside each multi-byte character: 2-, 3- and 4-byte sequences.
  const chunks = [encoded.slice(0, 3), encoded.slice(3, 5), encoded.slice(5, 9), encoded.slice(9)];
  assert.deepEqual(await split(chunks), [text]);
});

Deno.test("consecutive EOTs yield empty messages", async () => {
  assert.deepEqual(await split(["[2]\x04\x04\x04[3]\x04"]), ["[2]", "", "", "[3]"]);
  assert.deepEqual(await split(["\x04", "\x04"]), ["", ""]);
});

Deno.test("bytes after the last EOT when the input ends are dropped", async () => {
  assert.deepEqual(await split(["[2]\x04[3"]), ["[2]"]);
  assert.deepEqual(await split([]), []);
});

Deno.test("random chunkings of random message sequences give back the messages", async () => {
  const alphabet = ['"', "[", "]", "{", "}", ",", ":", "a", "0", " ", "é", "€", "😀", "\n", "\\"];
  for (let round = 0; round < 400; round++) {
    const random = prng(round + 1);
    const messages: string[] = [];
    const count = Math.floor(random() * 8);
    for (let m = 0; m < count; m++) {
      const length = random() < 0.1 ? 0 : Math.floor(random() * 60);
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      messages.push(text);
    }
    const input = concat(messages.map((text) => bytes(text + "\x04")));
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < input.length;) {
      // Mostly small chunks, some empty, some large.
      const size = random() < 0.1 ? 0 : Math.ceil(random() * (random() < 0.2 ? 100 : 6));
      chunks.push(input.slice(offset, offset + size));
      offset += size;
    }
    const unsplit = await split([input]);
    const chunked = await split(chunks);
    assert.deepEqual(unsplit, messages, `round ${round}: unsplit input`);
    assert.deepEqual(chunked, unsplit, `round ${round}: ${chunks.length} chunks`);
  }
});

Deno.test("a message of exactly the size limit passes, in one chunk or many", async () => {
  const message = "x".repeat(10);
  assert.deepEqual(await split([message + "\x04"], 10), [message]);
  assert.deepEqual(await split([...message, "\x04"], 10), [message]);
  assert.deepEqual(await split(["abc\x04" + message + "\x04"], 10), ["abc", message]);
});

Deno.test("one byte over the size limit errors with MessageTooLargeError", async () => {
  const error = await split(["x".repeat(11) + "\x04"], 10).then(
    () => assert.fail("expected MessageTooLargeError"),
    (error) => error,
  );
  assert.ok(error instanceof MessageTooLargeError);
  assert.equal(error.limit, 10);
  assert.equal(error.message, "Message too large: exceeds the limit of 10 bytes");
});

Deno.test("an oversized message spread over many chunks errors too", async () => {
  await assert.rejects(split([..."x".repeat(11), "\x04"], 10), MessageTooLargeError);
  // Small messages before it pass; the limit applies to each message alone.
  await assert.rejects(
    split(["ab\x04cd\x04", "x".repeat(6), "x".repeat(5), "\x04"], 10),
    MessageTooLargeError,
  );
  assert.deepEqual(await split(["x".repeat(8) + "\x04", "x".repeat(8) + "\x04"], 10), [
    "x".repeat(8),
    "x".repeat(8),
  ]);
});

Deno.test("an oversized message errors before its EOT arrives", async () => {
  // The sender never finishes the message: buffering stops at the limit.
  await assert.rejects(split(["x".repeat(6), "x".repeat(6)], 10), MessageTooLargeError);
});

Deno.test("the default limit is 16 MiB", () => {
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 16 * 1024 * 1024);
});

Deno.test("a reused input buffer does not corrupt messages already returned or buffered", () => {
  const framer = new EotFramer();
  // A socket reader may read every chunk into the same buffer.
  const buffer = new Uint8Array(8);
  const messages: Uint8Array[] = [];
  const push = (text: string) => {
    const encoded = bytes(text);
    buffer.fill(0x21).set(encoded);
    messages.push(...framer.push(buffer.subarray(0, encoded.length)));
  };
  push("one\x04tw"); // "one" returned, "tw" buffered
  push("o\x04thr"); // completes "two", buffers "thr"
  push("ee\x04"); // completes "three"
  push("XXXXXXX\x04");
  assert.deepEqual(messages.map((message) => decoder.decode(message)), [
    "one",
    "two",
    "three",
    "XXXXXXX",
  ]);
});

Deno.test("after an oversized message the framer returns nothing more, not even what came before it", () => {
  const framer = new EotFramer(10);
  assert.throws(() => framer.push(bytes("ok\x04" + "x".repeat(11))), MessageTooLargeError);
  assert.throws(() => framer.push(bytes("\x04next\x04")), MessageTooLargeError);
});
