import assert from "node:assert/strict";
import { StorageError } from "../errors.ts";
import { quoteIdentifier } from "./identifier.ts";

Deno.test("quoteIdentifier wraps a plain name in double quotes", () => {
  assert.equal(quoteIdentifier("jobs"), '"jobs"');
});

Deno.test("quoteIdentifier doubles double quotes so a name cannot end the identifier early", () => {
  assert.equal(quoteIdentifier('a"b'), '"a""b"');
  assert.equal(quoteIdentifier('"; DROP TABLE x; --'), '"""; DROP TABLE x; --"');
});

Deno.test("quoteIdentifier keeps spaces, dots, backticks and single quotes inside the name", () => {
  assert.equal(quoteIdentifier("my jobs.v2 'x`"), `"my jobs.v2 'x\`"`);
});

Deno.test("quoteIdentifier refuses names SQLite cannot hold", () => {
  assert.throws(() => quoteIdentifier(""), StorageError);
  assert.throws(() => quoteIdentifier("a\0b"), /Invalid table name/);
});
