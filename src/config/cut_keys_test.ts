import assert from "node:assert/strict";
import { parseIni } from "./ini_file.ts";
import { keysCutByComments } from "./cut_keys.ts";

Deno.test("keysCutByComments finds the keys ini cuts at ';' or '#', with section and line", () => {
  const text = [
    "host = 127.0.0.1 ; a comment after a value is fine",
    "; a comment line",
    "[targets]",
    "build = 2",
    "a;b = 1",
    "c#d = 1",
    "e\\;f = 1",
    '"g;h" = 1',
    "pa;ss",
  ].join("\n");
  assert.deepEqual(keysCutByComments(text), [
    { section: "targets", line: 5, written: "a;b", read: "a", valueless: false },
    { section: "targets", line: 6, written: "c#d", read: "c", valueless: false },
    { section: "targets", line: 9, written: "pa;ss", read: "pa", valueless: true },
  ]);
  // What ini makes of them: the cut keys, the escaped and the quoted names whole.
  assert.deepEqual(parseIni(text, "x.conf").section("targets")!.keys(), [
    "build",
    "a",
    "c",
    "e;f",
    "g;h",
    "pa",
  ]);
});
