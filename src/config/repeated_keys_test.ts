import assert from "node:assert/strict";
import { parseIni } from "./ini_file.ts";
import { describeRepeatedKey, repeatedKeys } from "./repeated_keys.ts";

Deno.test("repeatedKeys finds a key given twice in one part, with its section and lines", () => {
  const text = [
    "port = 27082", // 1
    "host = a",
    "port = 27083", // 3
    "[targets]",
    "build = 2", // 5
    "mail = 1",
    "[other]",
    "build = 9", // 8: another section, not a repeat
    "[targets]",
    "build = 4", // 10: the same section given again
    "list[] = a",
    "list[] = b", // a list, not a repeat
    "port ; a comment = cut", // 13: ini reads the key 'port' in [targets]
    "port",
  ].join("\n");
  assert.deepEqual(repeatedKeys(text), [
    { section: undefined, key: "port", lines: [1, 3] },
    { section: "targets", key: "build", lines: [5, 10] },
    { section: "targets", key: "port", lines: [13, 14], valueless: true },
  ]);
  // What ini makes of them: the last line wins.
  const doc = parseIni(text, "x.conf");
  assert.equal(doc.entries().get("port"), "27083");
  assert.equal(doc.entries().get("[targets] build"), "4");
});

Deno.test("the warning names the key, its section, every line and the line whose value is used", () => {
  assert.equal(
    describeRepeatedKey({ section: undefined, key: "port", lines: [3, 7] }),
    "'port' is given twice (lines 3 and 7): the value of line 7 is used",
  );
  assert.equal(
    describeRepeatedKey({ section: "targets", key: "build", lines: [5, 9, 12] }),
    "'build' in [targets] is given 3 times (lines 5, 9 and 12): the value of line 12 is used",
  );
});

Deno.test("a parsed document warns about every repeated key, naming the file, never a value", () => {
  const doc = parseIni("password = first-secret\npassword = second-secret\n", "/etc/jobd.conf");
  assert.deepEqual(doc.warnings().filter((warning) => warning.includes("given")), [
    "/etc/jobd.conf: 'password' is given twice (lines 1 and 2): the value of line 2 is used",
  ]);
  assert.doesNotMatch(doc.warnings().join("\n"), /secret/);
});
