import assert from "node:assert/strict";
import { commentAt, iniLines } from "./ini_lines.ts";

Deno.test("iniLines: sections and keys as ini reads them; comments, blanks and '=' lines skipped", () => {
  const text = "; comment\r\nname = w1\n\n[ targets ]\r  # note\nbuild=2 ; two\n=orphan\nflag\n";
  assert.deepEqual([...iniLines(text)], [
    { kind: "key", number: 2, text: "name = w1", key: "name", value: "w1" },
    { kind: "section", number: 4, text: "[ targets ]", name: "targets" },
    { kind: "key", number: 6, text: "build=2 ; two", key: "build", value: "2 ; two" },
    { kind: "key", number: 8, text: "flag", key: "flag", value: undefined },
  ]);
});

Deno.test("commentAt: the first unescaped ';' or '#', none in quoted text", () => {
  assert.equal(commentAt("a;b"), 1);
  assert.equal(commentAt("a\\;b#c"), 4);
  assert.equal(commentAt("plain"), -1);
  assert.equal(commentAt('"a;b"'), -1);
  assert.equal(commentAt("'a#b'"), -1);
});
