import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { MAX_HEALTH_REASON_CHARS } from "../http/health.ts";
import { databaseProblem } from "./http.ts";

Deno.test("the database's reason in /health is cut and on one line, its control characters shown escaped", async () => {
  const store = new MemoryStore();
  assert.equal(await databaseProblem(store), undefined);
  store.fail("ping", new Error(`Access\x1b[2J\r\ndenied ${"x".repeat(100_000)}`));
  const reason = await databaseProblem(store) ?? "";
  assert.match(reason, /Access\\x1b\[2J\\x0d\\x0adenied xxx/);
  assert.match(reason, /…\[jobd: \d+ more characters\]$/);
  assert.ok(reason.length < MAX_HEALTH_REASON_CHARS + 100, `${reason.length} characters`);
  assert.ok(![...reason].some((char) => char < " " || char === "\x7f"), reason.slice(0, 60));
  assert.equal(await databaseProblem(store), undefined, "the next check runs again");
});
