import assert from "node:assert/strict";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { MAX_HEALTH_REASON_CHARS } from "../http/health.ts";
import { databaseProblem, RESULT_WRITE_STALL_MS, workerHttpRoutes } from "./http.ts";
import { WorkerMetrics } from "./metrics.ts";
import { ResultWriter } from "./result_writer.ts";
import { StorageRetry } from "./storage_retry.ts";

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

Deno.test("/health answers 503 once a result has waited over a minute to be written, naming the database's refusal", async () => {
  const store = new MemoryStore({ tracksOwner: false });
  store.insert("t1", 1, "running");
  let now = 1_700_000_000_000;
  const writer = new ResultWriter(store, new StorageRetry(), () => now);
  const [health] = workerHttpRoutes({ store, metrics: new WorkerMetrics(), results: writer });
  const ask = async () => {
    const response = await health.handle(new Request("http://127.0.0.1/health"));
    return `${response.status} ${(await response.text()).trimEnd()}`;
  };
  // The database answers reads but refuses the result's UPDATE, then holds the next try.
  store.fail("markDone", new Error("UPDATE command denied to user 'jobd'@'10.0.0.5'\nfor 'jobs'"));
  const release = store.hold("markDone");
  const firstTry = store.reached("markDone");
  const written = writer.write({
    id: 1,
    finishedAt: 1_700_000_000,
    outcome: { result: "ok", code: 0, signal: null, stdout: "", stderr: "" },
  });
  await firstTry;
  const secondTry = store.reached("markDone");
  await secondTry;

  now += RESULT_WRITE_STALL_MS;
  assert.equal(await ask(), "200 ok", "a minute is within the bound");
  now += 1_000;
  assert.equal(
    await ask(),
    "503 results: 1 result not written, the oldest (job 1) waiting for 61 s: " +
      "Cannot mark job 1 done in table 'jobs' of memory: UPDATE command denied to user " +
      "'jobd'@'10.0.0.5'\\x0afor 'jobs'; " +
      "the rows stay 'running' until the database takes them",
  );

  release();
  assert.equal(await written, "stored");
  assert.equal(await ask(), "200 ok", "healthy again once the results are written");
});
