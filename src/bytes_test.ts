import assert from "node:assert/strict";
import { joinChunks } from "./bytes.ts";

Deno.test("chunks are joined in order into a new array; none gives an empty one", () => {
  const text = new TextEncoder();
  const joined = joinChunks([text.encode("ab"), text.encode(""), text.encode("cde")]);
  assert.equal(new TextDecoder().decode(joined), "abcde");
  assert.equal(joinChunks([]).byteLength, 0);
  const one = text.encode("x");
  const copy = joinChunks([one]);
  assert.deepEqual(copy, one);
  assert.notEqual(copy.buffer, one.buffer);
});
