import assert from "node:assert/strict";
import {
  describeExit,
  escapeControls,
  escapeControlsIn,
  formatBytes,
  formatTime,
  pausedCell,
  quoteList,
} from "./format.ts";

Deno.test("memory is shown in binary units with one decimal", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.0 KiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(47_500_000), "45.3 MiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatBytes(2 * 1024 ** 5), "2048.0 TiB");
});

Deno.test("a value that is not a byte count is shown as given", () => {
  assert.equal(formatBytes(-1), "-1");
  assert.equal(formatBytes(NaN), "NaN");
});

Deno.test("a paused target reads 'yes' in yellow, a running one 'no'", () => {
  assert.deepEqual(pausedCell(true), { text: "yes", color: "yellow" });
  assert.equal(pausedCell(false), "no");
});

Deno.test("a job's exit is described by its code, its signal, or both", () => {
  assert.equal(describeExit({ code: 0, signal: null }), "exit code 0");
  assert.equal(describeExit({ code: null, signal: "SIGTERM" }), "killed by SIGTERM");
  assert.equal(describeExit({ code: 1, signal: "SIGKILL" }), "exit code 1, killed by SIGKILL");
  assert.equal(describeExit({ code: null, signal: null }), "no exit code");
});

Deno.test("names are quoted in lists", () => {
  assert.equal(quoteList(["a", "b c"]), "'a', 'b c'");
});

Deno.test("a long list of names shows its first ten and how many more", () => {
  const names = Array.from({ length: 1500 }, (_, i) => `t${i}`);
  assert.equal(
    quoteList(names),
    `${names.slice(0, 10).map((name) => `'${name}'`).join(", ")} and 1490 more`,
  );
  assert.equal(quoteList(names.slice(0, 10)).split(", ").length, 10);
});

Deno.test("control characters a peer sends are shown escaped; line feeds and tabs stay", () => {
  assert.equal(escapeControls("x\x1b[31mRED"), "x\\x1b[31mRED");
  assert.equal(escapeControls("a\rb\x07\x00\x7f\x9b"), "a\\x0db\\x07\\x00\\x7f\\x9b");
  assert.equal(escapeControls("line 1\n\tline 2 é ✓"), "line 1\n\tline 2 é ✓");
});

Deno.test("CRLF line ends stay as they are; a carriage return elsewhere is shown escaped", () => {
  assert.equal(escapeControls("line 1\r\nline 2\r\n"), "line 1\r\nline 2\r\n");
  assert.equal(escapeControls("50%\r100%\r\r\n"), "50%\\x0d100%\\x0d\r\n");
  assert.equal(escapeControls("a\r\nb", { oneLine: true }), "a\\x0d\\x0ab");
});

Deno.test("text kept on one line has its line feeds escaped too; tabs stay", () => {
  assert.equal(escapeControls("a\nb\tc\x1b", { oneLine: true }), "a\\x0ab\tc\\x1b");
});

Deno.test("invisible characters that reorder or hide text are shown escaped, as code points", () => {
  // U+202E would show "exe.txt" as "txt.exe"; a zero-width space hides a difference in names.
  assert.equal(escapeControls("report\u202Etxt.exe"), "report\\u202etxt.exe");
  assert.equal(escapeControls("bu\u200Bild"), "bu\\u200bild");
  assert.equal(
    escapeControls("\u200C\u200D\u200E\u200F\u2066\u2067\u2068\u2069\u202A\u202C\uFEFF"),
    "\\u200c\\u200d\\u200e\\u200f\\u2066\\u2067\\u2068\\u2069\\u202a\\u202c\\ufeff",
  );
  // Line and paragraph separators, which some terminals break lines at, in either mode.
  assert.equal(escapeControls("a\u2028b\u2029c"), "a\\u2028b\\u2029c");
  assert.equal(escapeControls("a\u2028b", { oneLine: true }), "a\\u2028b");
  // Characters beyond U+FFFF (a tag character) and the soft hyphen, which is a format character too.
  assert.equal(escapeControls("x\u{E0041}y\u00ADz"), "x\\u{e0041}y\\xadz");
  // Visible text, right-to-left scripts included, stays as it is.
  assert.equal(escapeControls("שלום مرحبا ✓ é"), "שלום مرحبا ✓ é");
});

Deno.test("every string of an answer is escaped, object keys too; other values stay", () => {
  assert.deepEqual(
    escapeControlsIn({
      targets: { "x\x1b]0;t\x07": { concurrency: 1, paused: false, note: null } },
      errors: ["\x1b[2J"],
    }),
    {
      targets: { "x\\x1b]0;t\\x07": { concurrency: 1, paused: false, note: null } },
      errors: ["\\x1b[2J"],
    },
  );
});

Deno.test("every time jobctl prints is UTC to the second, marked UTC; 0 and null are empty", () => {
  assert.equal(formatTime(Date.UTC(2026, 11, 24, 18, 0, 5) / 1000), "2026-12-24 18:00:05 UTC");
  assert.equal(formatTime(0), "");
  assert.equal(formatTime(null), "");
  // A row an application filled with nanoseconds is listed, with the number it holds.
  assert.equal(formatTime(1_764_000_000_000_000_000), "1764000000000000000");
});
