/**
 * Hostile and careless peers against the real daemons (subprocesses with
 * their own logging): huge values in logged requests, lists over the limit,
 * more connections than `max_connections`. None of them freezes a daemon or
 * holds up another client.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../src/net/errors.ts";
import { tooManyConnections } from "../src/net/server.ts";
import { MAX_LIST_ITEMS } from "../src/protocol/limits.ts";
import { encodeRequest } from "../src/protocol/messages.ts";
import { startMaster } from "./helpers/master.ts";
import { waitFor, workerClient } from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker } from "./helpers/worker.ts";

/** Sends one raw request on a new socket and returns the first answer's text. */
async function rawRequest(port: number, request: Parameters<typeof encodeRequest>[0]) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encodeRequest(request));
    const buffer = new Uint8Array(64 * 1024);
    let text = "";
    while (!text.includes("\x04")) {
      const count = await conn.read(buffer);
      if (count === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, count));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("a huge request type refused for its password does not hold up the worker", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startWorker(db, {
    config: { password: "s3cret", log_level_console: "info" },
  });
  await using client = await workerClient(worker.port, "s3cret");
  await client.status();
  // Logged as "invalid password on request {type}": 15 s of redaction before.
  const hostile = rawRequest(worker.port, { no: 1, type: "a".repeat(80_000), data: {} });
  const started = performance.now();
  const [answer] = await Promise.all([hostile, client.status()]);
  await client.status();
  const elapsed = performance.now() - started;
  assert.match(answer, /"error":"invalid password"/);
  assert.ok(elapsed < 1000, `the worker took ${elapsed.toFixed(0)} ms`);
  // The log line carries a bounded piece of the type, with a marker.
  const line = await waitFor(
    "the refusal in the log",
    () => worker.process.stderrSoFar.split("\n").find((text) => text.includes("invalid password")),
  );
  assert.match(line, /a{1000}…\[jobd: 79000 more characters\]/);
  assert.ok(line.length < 2000, `a log line of ${line.length} characters`);
});

Deno.test("the master stays responsive when a huge worker name registers twice", async () => {
  await using master = await startMaster({
    config: { log_level_console: "info", ping_interval: 30 },
  });
  const { port, client } = master;
  const name = "w".repeat(80_000);
  const started = performance.now();
  for (let round = 0; round < 2; round++) {
    const answer = await rawRequest(port, {
      no: 1,
      type: "register-worker",
      data: { name, targets: ["build"] },
    });
    assert.match(answer, /"data":"ok"/);
  }
  await client.status();
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `the master took ${elapsed.toFixed(0)} ms`);
});

Deno.test("a worker refuses lists over the limit with an error naming field and limit", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startWorker(db);
  const ids = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => i + 1);
  await assert.rejects(worker.client.runManual(ids), (error: unknown) => {
    assert.ok(error instanceof RemoteError);
    assert.equal(
      error.message,
      `'ids' has ${MAX_LIST_ITEMS + 1} items: at most ${MAX_LIST_ITEMS} in one request`,
    );
    return true;
  });
  const targets = Array.from({ length: MAX_LIST_ITEMS + 1 }, () => "t1");
  await assert.rejects(worker.client.poll(targets), { message: /^'targets' has 10001 items/ });
  // The worker goes on serving.
  assert.ok((await worker.client.status()).targets.t1);
});

Deno.test("a worker over max_connections answers the extra connection with an error", async () => {
  await using db = await openTestSqliteDatabase();
  // The helper's own client takes one of the two places.
  await using worker = await startWorker(db, { config: { max_connections: 2 } });
  // The start-up probe's connection may still count for a moment.
  await using second = await waitFor("a second connection", async () => {
    const client = await workerClient(worker.port);
    try {
      await client.status();
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  });
  const answer = await rawRequest(worker.port, { no: 1, type: "status", data: {} });
  assert.deepEqual(JSON.parse(answer.slice(0, -1)), [1, { no: 0, error: tooManyConnections(2) }]);
  // The connections within the limit are served as before.
  assert.ok((await worker.client.status()).targets.t1);
  assert.ok((await second.status()).targets.t1);
});
