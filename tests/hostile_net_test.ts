/**
 * Hostile and careless peers against the real daemons (subprocesses with
 * their own logging): huge values in logged requests, lists over the limit,
 * more connections than `max_connections`, a client that never reads its
 * answers. None of them freezes a daemon or holds up another client.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../src/net/errors.ts";
import { tooManyConnections } from "../src/net/server.ts";
import { MAX_LIST_ITEMS, MAX_WORKER_NAME_LENGTH } from "../src/protocol/limits.ts";
import { MAX_TARGET_NAME_LENGTH } from "../src/target_names.ts";
import { encodeRequest } from "../src/protocol/messages.ts";
import { startMaster } from "./helpers/master.ts";
import {
  freePort,
  iniText,
  masterClient,
  startDaemon,
  waitFor,
  workerClient,
} from "./helpers/processes.ts";
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

Deno.test("the master stays responsive and cuts the log when a registration with huge targets comes twice", async () => {
  await using master = await startMaster({
    config: { log_level_console: "info", ping_interval: 30 },
  });
  const { port, client } = master;
  // Logged as "registered with targets: {targets}": 80 names of 1,000 characters.
  const targets = Array.from(
    { length: 80 },
    (_, i) => `${"w".repeat(997)}${String(i).padStart(3, "0")}`,
  );
  const started = performance.now();
  for (let round = 0; round < 2; round++) {
    const answer = await rawRequest(port, {
      no: 1,
      type: "register-worker",
      data: { name: "w".repeat(MAX_WORKER_NAME_LENGTH), targets },
    });
    assert.match(answer, /"data":"ok"/);
  }
  await client.status();
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `the master took ${elapsed.toFixed(0)} ms`);
  const lines = await waitFor("both registrations in the log", () => {
    const found = master.process.stderrSoFar.split("\n").filter((text) =>
      text.includes("registered with targets")
    );
    return found.length === 2 ? found : undefined;
  });
  for (const line of lines) {
    assert.match(line, /…\[jobd: \d+ more characters\]/);
    assert.ok(line.length < 2000, `a log line of ${line.length} characters`);
  }
});

Deno.test("the master refuses a worker name over 255 characters, naming the limit", async () => {
  await using master = await startMaster();
  const answer = await rawRequest(master.port, {
    no: 1,
    type: "register-worker",
    data: { name: "w".repeat(80_000), targets: ["build"] },
  });
  assert.match(answer, /"error":"'name' has 80000 characters: at most 255"/);
  assert.deepEqual((await master.client.status()).workers, []);
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

/** Resident memory of process `pid` in bytes, from /proc. */
async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  assert.ok(kilobytes, "VmRSS in /proc/PID/status");
  return Number(kilobytes[1]) * 1024;
}

Deno.test({
  name:
    "a client that pipelines requests and never reads is no longer read from; others are served",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using db = await openTestSqliteDatabase();
    // Many targets make each `status` answer large (about 60 KB).
    const targets = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`t${i}`, 1]));
    await using worker = await startWorker(db, { targets });
    const before = await residentBytes(worker.process.pid);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: worker.port });
    const writer = conn.writable.getWriter();
    const batch = new TextEncoder().encode(
      Array.from({ length: 10_000 }, (_, i) => `[0,{"no":${i + 1},"type":"status","data":{}}]\x04`)
        .join(""),
    );
    // 2,000,000 requests: the writes stall once the worker stops reading
    // (and its kernel buffers are full). Answering each one read, as it
    // once did, the worker grew by over 300 MB before the writes stalled.
    const batches = 200;
    let written = 0;
    const writing = (async () => {
      for (; written < batches; written++) await writer.write(batch);
    })().catch(() => {});
    try {
      let seen = -1;
      await waitFor("the writes to stall", async () => {
        const stalled = written === seen;
        seen = written;
        await new Promise((resolve) => setTimeout(resolve, 500));
        return stalled && written === seen;
      }, 120);
      assert.ok(written < batches, `all ${batches} batches were read`);
      // Other clients are served meanwhile.
      assert.equal(Object.keys((await worker.client.status()).targets).length, 1000);
      const grown = (await residentBytes(worker.process.pid)) - before;
      assert.ok(grown < 100 * 1024 * 1024, `the worker grew by ${grown} bytes`);
    } finally {
      conn.close();
      await writing;
    }
    assert.ok((await worker.client.status()).targets.t1);
  },
});

Deno.test("the master refuses target names no worker could serve, naming them in a bounded error", async () => {
  const port = freePort();
  const { process } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port, log_level_console: "info", ping_interval: 30 }),
    { port },
  );
  await using _master = process;
  await using client = await masterClient(port);
  const huge = "h".repeat(9 * 1024 * 1024);
  const refusals = [
    client.poke(["build", "a\u0007b"]),
    client.pause(["x".repeat(MAX_TARGET_NAME_LENGTH + 1)]),
    client.request("register-worker", { name: "w1", targets: ["build", huge] }),
    client.runManual([{ id: 1, target: huge }]),
  ];
  const texts = await Promise.all(refusals.map((refusal) =>
    refusal.then(
      () => assert.fail("accepted"),
      (error: unknown) => (assert.ok(error instanceof RemoteError), error.message),
    )
  ));
  assert.equal(
    texts[0],
    "invalid target name 'a\\x07b': it contains the control character U+0007",
  );
  assert.match(
    texts[1],
    /^invalid target name 'x{1025}': it has 1025 characters, more than the 1024/,
  );
  for (const text of texts.slice(2)) {
    assert.match(text, /^invalid target name 'h{2048}…': it has 9437184 characters, more than/);
  }
  // Nothing was registered or remembered.
  assert.deepEqual((await client.status()).workers, []);
});
