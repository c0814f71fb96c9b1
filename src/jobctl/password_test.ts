import assert from "node:assert/strict";
import {
  MAX_PASSWORD_BYTES,
  PromptCancelledError,
  readLiteralLine,
  readPasswordLine,
} from "./password.ts";
import { UsageError } from "./usage_error.ts";

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

Deno.test("a piped password is its first line as it is: editing keys are bytes of it", async () => {
  assert.equal(
    await readLiteralLine(typed("ab\x7fc\x08d\x15e\x04f\x03g\n")),
    "ab\x7fc\x08d\x15e\x04f\x03g",
  );
  assert.equal(await readLiteralLine(typed("s3cret\r\nignored")), "s3cret");
  assert.equal(await readLiteralLine(typed("s3cret\rignored")), "s3cret");
  assert.equal(await readLiteralLine(typed("sec", "ret", "\nignored")), "secret");
  assert.equal(
    await readLiteralLine(typed("  spaced  ")),
    "  spaced  ",
    "the stream's end ends it",
  );
  assert.equal(await readLiteralLine(typed()), "");
  const bytes = [...new TextEncoder().encode("pä")];
  assert.equal(await readLiteralLine(typed(bytes.slice(0, 2), bytes.slice(2), "\n")), "pä");
});

Deno.test("a password is read up to its bound: endless input without a line end is refused", async () => {
  const longest = "p".repeat(MAX_PASSWORD_BYTES);
  assert.equal(await readLiteralLine(typed(longest, "\n")), longest);
  await assert.rejects(
    readLiteralLine(typed(longest, "q", "\n")),
    (error) =>
      error instanceof UsageError &&
      error.message === `the password given on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`,
  );
  await assert.rejects(readPasswordLine(typed(longest, longest)), UsageError);
});
