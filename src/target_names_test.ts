import assert from "node:assert/strict";
import {
  firstLacking,
  type TargetColumn,
  targetColumnProblem,
  targetNameProblem,
} from "./target_names.ts";

const UTF8_CHAR16: TargetColumn = {
  maxLength: 16,
  bmpOnly: true,
  type: "char(16)",
  charset: "utf8mb3",
};

Deno.test("any name without control or broken characters is a target name", () => {
  for (const name of ["build", "mail-eu.1", "Größe", "日本", "😀", "a b", "a;b"]) {
    assert.equal(targetNameProblem(name), undefined, name);
  }
  assert.equal(targetNameProblem(""), "a target name cannot be empty");
  assert.equal(targetNameProblem("null"), "'null' is not a target name");
  assert.equal(targetNameProblem("a\nb"), "it contains the control character U+000A");
  assert.equal(targetNameProblem("a\u0085"), "it contains the control character U+0085");
  assert.equal(targetNameProblem("\udc00x"), "it contains U+DC00, half of a character");
  const invisible = "an invisible format character (such as a bidirectional override or a " +
    "zero-width space), which changes how the text around it reads";
  for (
    const char of ["\u202A", "\u202E", "\u2066", "\u2069", "\u200B", "\u200D", "\u200F", "\uFEFF"]
  ) {
    const code = char.codePointAt(0)!.toString(16).toUpperCase();
    assert.equal(targetNameProblem(`build${char}`), `it contains U+${code}, ${invisible}`);
  }
  assert.equal(
    targetNameProblem("a\u2029"),
    "it contains U+2029, a line or paragraph separator",
  );
  assert.equal(targetNameProblem("x".repeat(1024)), undefined);
  assert.equal(
    targetNameProblem("x".repeat(9 * 1024 * 1024)),
    `it has ${9 * 1024 * 1024} characters, more than the 1024 a target name may have`,
  );
});

Deno.test("a name must fit the target column: length in characters, character set, ENUM values", () => {
  const problem = (name: string, column?: TargetColumn) =>
    targetColumnProblem(name, column, "jobs");
  assert.equal(problem("x".repeat(16), UTF8_CHAR16), undefined);
  assert.equal(problem("é".repeat(16), UTF8_CHAR16), undefined, "characters, not bytes");
  assert.match(problem("x".repeat(17), UTF8_CHAR16)!, /17 characters, more than the 16/);
  assert.match(problem("😀", UTF8_CHAR16)!, /cannot hold U\+1F600/);
  assert.equal(problem("😀", { ...UTF8_CHAR16, bmpOnly: false, charset: "utf8mb4" }), undefined);
  const enumColumn: TargetColumn = { bmpOnly: false, values: ["build", "mail"], type: "enum" };
  assert.equal(problem("BUILD", enumColumn), undefined, "ENUMs compare without case");
  assert.match(problem("deploy", enumColumn)!, /has no such value/);
  assert.equal(problem("😀"), undefined, "no column: only the general rules");
  assert.equal(problem("a\tb"), "it contains the control character U+0009");
});

Deno.test("firstLacking names the first character a known character set cannot hold", () => {
  assert.equal(firstLacking("latin1", "wörker-€-日本"), "日");
  assert.equal(firstLacking("latin1", "wörker-€"), undefined);
  assert.equal(firstLacking("ascii", "wörker"), "ö");
  assert.equal(firstLacking("utf8mb3", "w-日本-🎉"), "🎉");
  assert.equal(firstLacking("ucs2", "w-日本-🎉"), "🎉");
  assert.equal(firstLacking("utf8mb4", "w-🎉"), undefined);
  assert.equal(firstLacking("cp1251", "日本"), undefined, "the server decides");
});

Deno.test("a name with a character a latin1 or ascii target column lacks can match no row", () => {
  const latin1: TargetColumn = { bmpOnly: false, type: "varchar(64)", charset: "latin1" };
  assert.equal(
    targetColumnProblem("日本", latin1, "jobs"),
    "the column 'target' (varchar(64), latin1) of the table 'jobs' cannot hold U+65E5 '日'",
  );
  assert.equal(targetColumnProblem("Größe-€", latin1, "jobs"), undefined);
  assert.match(
    targetColumnProblem("Größe", { ...latin1, charset: "ascii" }, "jobs") ?? "",
    /cannot hold U\+00F6 'ö'$/,
  );
});
