import assert from "node:assert/strict";
import { COLUMN_SEPARATOR, EMPTY_CELL, formatTable, paint, PLAIN } from "./table.ts";

Deno.test("a table has upper-case headings, a dash rule and ' | ' between aligned columns", () => {
  const text = formatTable(
    [{ heading: "target" }, { heading: "concurrency", align: "right" }, { heading: "paused" }],
    [["build", 2, "no"], ["deploy-prod", 10, "yes"]],
  );
  assert.equal(
    text,
    [
      "TARGET      | CONCURRENCY | PAUSED",
      "----------- | ----------- | ------",
      "build       |           2 | no",
      "deploy-prod |          10 | yes",
      "",
    ].join("\n"),
  );
  assert.equal(COLUMN_SEPARATOR, " | ");
});

Deno.test("a table without rows still shows its heading and rule", () => {
  assert.equal(formatTable([{ heading: "a" }, { heading: "bb" }], []), "A | BB\n- | --\n");
});

Deno.test("a cell with line breaks spans several lines and widens its column by its longest line", () => {
  const text = formatTable(
    [{ heading: "worker" }, { heading: "targets" }],
    [["w1", "build\ndeploy-prod"], ["w2", "x"]],
  );
  assert.equal(
    text,
    [
      "WORKER | TARGETS",
      "------ | -----------",
      "w1     | build",
      "       | deploy-prod",
      "w2     | x",
      "",
    ].join("\n"),
  );
});

Deno.test("an empty or missing cell shows '-', and lines carry no trailing spaces", () => {
  const text = formatTable([{ heading: "a" }, { heading: "b" }, { heading: "c" }], [
    ["long value"],
    ["x", "", { text: "", color: "red" }],
  ]);
  for (const line of text.split("\n")) assert.equal(line, line.trimEnd());
  assert.match(text, /^long value \| - \| -$/m);
  assert.match(text, /^x +\| - \| -$/m);
  assert.equal(EMPTY_CELL, "-");
});

Deno.test("the lines a multi-line cell adds leave the other cells blank, not '-'", () => {
  const text = formatTable([{ heading: "worker" }, { heading: "note" }], [["w1\nw2", "x"]]);
  assert.match(text, /^w1 +\| x\nw2$/m);
});

Deno.test("colours appear only with a colour style and do not count towards widths", () => {
  const rows = [["t1", { text: "yes", color: "yellow" as const }], ["t2", "no"]];
  const columns = [{ heading: "target" }, { heading: "paused" }];
  const plain = formatTable(columns, rows, PLAIN);
  const escape = "\x1b[";
  assert.ok(!plain.includes(escape));
  const coloured = formatTable(columns, rows, { color: true });
  assert.ok(coloured.includes(`${escape}33myes${escape}39m`));
  assert.ok(coloured.includes(`${escape}1mTARGET${escape}22m`));
  // Without the escape codes, the coloured table is the plain one.
  const codes = new RegExp(String.raw`\x1b\[\d+m`, "g");
  assert.equal(coloured.replaceAll(codes, ""), plain);
});

Deno.test("paint leaves text alone without colours", () => {
  assert.equal(paint("fail", "red", PLAIN), "fail");
  assert.equal(paint("fail", "red", { color: true }), "\x1b[31mfail\x1b[39m");
});

Deno.test("a table of 200,000 rows, and a cell of 200,000 lines, render with the widest line's width", () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => [`t${i}`, i]);
  const lines = formatTable([{ heading: "target" }, { heading: "n", align: "right" }], rows)
    .split("\n");
  assert.equal(lines.length, 200_003);
  assert.equal(lines[2], "t0      |      0");
  assert.equal(lines[200_001], "t199999 | 199999");
  const tall = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join("\n");
  const shown = formatTable([{ heading: "column" }, { heading: "value" }], [["params", tall]])
    .split("\n");
  assert.equal(shown.length, 200_003);
  assert.equal(shown[1], "------ | -----------");
  assert.equal(shown[200_001], "       | line 199999");
});
