import assert from "node:assert/strict";
import { cutNote, fitOutput, type OutputColumn } from "./output_fit.ts";

/** A column as `information_schema.COLUMNS` describes it. */
function column(type: string, charset: string, maxChars: number, maxBytes: number): OutputColumn {
  return { name: "stdout", type, charset, maxChars, maxBytes };
}

const VARCHAR_100 = column("varchar(100)", "utf8mb4", 100, 400);
const TEXT = column("text", "utf8mb4", 65535, 65535);

Deno.test("output that fits its column is stored as it is", () => {
  assert.equal(fitOutput(VARCHAR_100, "x".repeat(100)), "x".repeat(100));
  assert.equal(fitOutput(TEXT, "é".repeat(32767)), "é".repeat(32767));
});

Deno.test("output longer than a VARCHAR keeps its start and ends with a note naming the column", () => {
  const note = "\n[jobd: output cut to what its column 'stdout' (varchar(100)) holds]";
  assert.equal(cutNote(VARCHAR_100), note);
  const fitted = fitOutput(VARCHAR_100, "line\n".repeat(100));
  assert.equal(fitted, "line\n".repeat(100).slice(0, 100 - note.length) + note);
  assert.equal([...fitted].length, 100);
});

Deno.test("a TEXT column's limit is in bytes: multi-byte characters are cut at a character", () => {
  // 'é' is two bytes of UTF-8 and '€' three: 40,000 characters are over 64 KiB.
  const fitted = fitOutput(TEXT, "é€".repeat(20_000));
  const bytes = new TextEncoder().encode(fitted).length;
  assert.ok(bytes <= 65535, `${bytes} bytes`);
  assert.ok(bytes > 65535 - 10, "as much as fits");
  assert.ok(fitted.endsWith(cutNote(TEXT)));
  assert.ok(!fitted.includes("\uFFFD"), "no character cut in half");
});

Deno.test("a column too small for the note gets the start of the output alone", () => {
  assert.equal(
    fitOutput(column("varchar(10)", "utf8mb4", 10, 40), "x".repeat(100)),
    "x".repeat(10),
  );
});

Deno.test("characters a latin1 column lacks become '?', as the server stores them outside strict mode", () => {
  const latin1 = column("text", "latin1", 65535, 65535);
  assert.equal(fitOutput(latin1, "café € 日本 🎉 ok"), "café € ?? ? ok");
  // Each character is one byte there: 65,535 of them fill the column.
  assert.equal(fitOutput(latin1, "é".repeat(65535)), "é".repeat(65535));
  assert.ok(fitOutput(latin1, "é".repeat(65536)).endsWith(cutNote(latin1)));
});

Deno.test("a 3-byte utf8 column gets U+FFFD for characters outside the Basic Multilingual Plane", () => {
  assert.equal(fitOutput(column("text", "utf8mb3", 65535, 65535), "done 🎉 ✓"), "done \uFFFD ✓");
});

Deno.test("a ucs2 column gets U+FFFD for characters outside the Basic Multilingual Plane too", () => {
  // In strict mode the server refuses them ("Incorrect string value"): the whole output was lost.
  assert.equal(fitOutput(column("text", "ucs2", 32767, 65535), "done 🎉 ✓"), "done \uFFFD ✓");
});

Deno.test("a character set of two bytes a character counts its limit in bytes", () => {
  // information_schema shows a ucs2 TEXT as 32,767 characters in 65,535 bytes.
  const ucs2 = column("text", "ucs2", 32767, 65535);
  assert.equal(fitOutput(ucs2, "x".repeat(32767)), "x".repeat(32767));
  const fitted = fitOutput(ucs2, "x".repeat(40_000));
  assert.equal(fitted.length, 32767);
  assert.ok(fitted.endsWith(cutNote(ucs2)));
});
