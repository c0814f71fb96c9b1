import assert from "node:assert/strict";
import { PromptCancelledError, readPasswordLine } from "./password.ts";

/** A stream that delivers `chunks` one read at a time. */
function typed(...chunks: (string | number[])[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(
    chunks.map((chunk) =>
      typeof chunk === "string" ? encoder.encode(chunk) : Uint8Array.from(chunk)
    ),
  );
}

Deno.test("the password is the line up to Enter, without the line break", async () => {
  assert.equal(await readPasswordLine(typed("s3cret\r")), "s3cret");
  assert.equal(await readPasswordLine(typed("s3cret\nignored")), "s3cret");
  assert.equal(await readPasswordLine(typed("sec", "ret", "\n")), "secret");
});

Deno.test("Backspace and Delete remove the last character, Ctrl-U the whole line", async () => {
  assert.equal(await readPasswordLine(typed("abx", [0x7f], "c\r")), "abc");
  assert.equal(await readPasswordLine(typed("abx", [0x08], "c\r")), "abc");
  assert.equal(await readPasswordLine(typed("wrong", [0x15], "right\r")), "right");
});

Deno.test("a multi-byte character arriving in pieces counts as one character", async () => {
  const bytes = [...new TextEncoder().encode("pä")];
  assert.equal(await readPasswordLine(typed(bytes.slice(0, 2), bytes.slice(2), "\r")), "pä");
  assert.equal(await readPasswordLine(typed(bytes, [0x7f], "\r")), "p");
});

Deno.test("Ctrl-D or the end of the input ends the password", async () => {
  assert.equal(await readPasswordLine(typed("abc", [0x04], "def")), "abc");
  assert.equal(await readPasswordLine(typed("abc")), "abc");
  assert.equal(await readPasswordLine(typed()), "");
});

Deno.test("Ctrl-C cancels the prompt", async () => {
  await assert.rejects(readPasswordLine(typed("ab", [0x03])), PromptCancelledError);
});
