/**
 * The worker (`jobd`) as a real subprocess against a real MariaDB: every
 * request of docs/protocol.md, background and manual jobs through to their
 * rows, and the defects of the older worker that we fix.
 */

import assert from "node:assert/strict";
import { remoteRefusal } from "./helpers/assertions.ts";
import { openTestDatabase } from "./helpers/database.ts";
import {
  freePort,
  iniText,
  runProgram,
  spawnProgram,
  waitFor,
  workerClient,
} from "./helpers/processes.ts";
import { peakConcurrency } from "./helpers/launcher_events.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";
import { defineWorkerConformance } from "./helpers/worker_conformance.ts";

defineWorkerConformance("", () => openTestDatabase());

Deno.test("the worker polls all its targets at start-up", async () => {
  await using db = await openTestDatabase();
  const ids = [...await db.insertJobs("t1", 2), ...await db.insertJobs("t2", 2)];
  // A poll_interval > 0 turns on start-up and periodic polls.
  await using _worker = await startWorker(db, {
    targets: { t1: 1, t2: 1 },
    config: { poll_interval: 60 },
  });
  await waitForDone(db, ids);
});

Deno.test("concurrency is never exceeded and a poll keeps claiming past the fetch limit", async () => {
  await using db = await openTestDatabase();
  const ids = await db.insertJobs("t1", 30);
  await using worker = await startWorker(db, {
    targets: { t1: 3 },
    config: { mysql_fetch_limit: 2 },
  });
  await worker.script("default", "sleep 0.05");
  await worker.client.poll();
  await waitForDone(db, ids);
  const events = await worker.events();
  assert.equal(events.length, 60);
  assert.equal(peakConcurrency(events), 3);
});

Deno.test("a paused target starts no background job until continue; run-manual still runs", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 2 } });
  await worker.client.pause(["t1"]);
  const ids = await db.insertJobs("t1", 2);
  await worker.client.poll(["t1"]);
  await waitFor(
    "claimed rows",
    async () => (await db.rows(ids)).every((row) => row.status === "accepted"),
  );
  const status = await worker.client.status();
  assert.deepEqual(status.targets.t1, { paused: true, concurrency: 2, length: 2 });

  const [manual] = await db.insertJobs("t1", 1, "manual");
  const result = await worker.client.runManual([manual]);
  assert.equal(result.jobs?.[manual]?.result, "ok", "run-manual runs on a paused target");
  assert.deepEqual((await db.rows(ids)).map((row) => row.status), ["accepted", "accepted"]);

  await worker.client.continue(["t1"]);
  await waitForDone(db, ids);
  assert.equal((await worker.client.status()).targets.t1.paused, false);
});

Deno.test("a second client waiting for the same job is refused and nothing starts twice", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const [slow] = await db.insertJobs("t1", 1, "manual");
  await worker.script(slow, "sleep 1");
  const first = worker.client.runManual([slow]);
  await waitFor(
    "the job to be awaited",
    async () => (await worker.client.status()).jobPromisesCount === 1,
  );
  await using second = await workerClient(worker.port);
  assert.equal(
    await remoteRefusal(second.runManual([slow])),
    `another client is already waiting for job ${slow}`,
  );
  assert.equal((await first).jobs?.[slow]?.result, "ok");
  assert.equal((await worker.events()).filter((line) => line === `start ${slow}`).length, 1);
  // The id is free again once the first call ended.
  assert.deepEqual((await second.runManual([slow])).errors, { [slow]: "status = done != manual" });
});

Deno.test("bad requests get precise errors and the worker keeps serving", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const { client } = worker;
  const cases: [Promise<unknown>, string][] = [
    [client.request("poll", { targets: "t1" }), "targets must be array"],
    [client.request("poll", { targets: [] }), "targets are empty"],
    [client.request("pause", { targets: ["t1", 5] }), "all targets must be strings, number given"],
    [client.request("continue", { targets: ["nope"] }), "invalid target 'nope'"],
    [client.request("add-target", { concurrency: 1 }), "missing required field target"],
    [client.request("add-target", { target: 5, concurrency: 1 }), "'target' must be string"],
    [
      client.request("add-target", { target: "t9", concurrency: "2" }),
      "'concurrency' must be integer",
    ],
    [
      client.request("add-target", { target: "t9", concurrency: 1.5 }),
      "'concurrency' must be integer",
    ],
    [
      client.request("add-target", { target: "t9", concurrency: 0 }),
      "'concurrency' must be at least 1, got 0",
    ],
    [client.request("add-target", { target: "", concurrency: 1 }), "invalid target name ''"],
    [
      client.request("add-target", { target: "null", concurrency: 1 }),
      "invalid target name 'null'",
    ],
    [client.request("add-target", { target: "t1", concurrency: 1 }), "target 't1' already added"],
    [client.request("remove-target", { target: "t9" }), "target 't9' not found"],
    [
      client.request("set-target-concurrency", { target: "t9", concurrency: 2 }),
      "target 't9' not found",
    ],
    [client.request("run-manual", {}), "missing required field ids"],
    [client.request("run-manual", { ids: [] }), "ids are empty"],
    [client.request("run-manual", { ids: ["1"] }), "all ids must be numbers, got string"],
    [client.request("run-manual", { ids: [1.5] }), "all ids must be positive integers, got 1.5"],
    [client.request("run-manual", { ids: [0] }), "all ids must be positive integers, got 0"],
    [
      client.request("run-manual", { ids: [1e20] }),
      "all ids must be positive integers, got 100000000000000000000",
    ],
    [client.request("frobnicate", {}), "unknown request type: 'frobnicate'"],
    [client.request("send-signal", { jobs: { 5: "FOO" } }), "unknown signal 'FOO' for job 5"],
    [client.request("send-signal", { jobs: { 5: 99 } }), "unknown signal '99' for job 5"],
    [
      client.request("send-signal", { jobs: { 5: true } }),
      "the signal for job 5 must be a name or a number, boolean given",
    ],
  ];
  for (const [request, expected] of cases) assert.equal(await remoteRefusal(request), expected);
  assert.deepEqual(await client.request("send-signal", {}), {});
  assert.ok((await client.status()).targets.t1, "still serving");
});

Deno.test("targets can be added, resized and removed at runtime", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const { client } = worker;
  const ids = await db.insertJobs("t2", 4);
  // Long enough that the removal below meets jobs still running, even on a loaded machine.
  await worker.script("default", "sleep 2");

  await client.addTarget("t2", 1);
  await waitFor("a t2 job running", async () => (await worker.events()).length > 0);
  await client.setTargetConcurrency("t2", 4);
  assert.equal((await client.status()).targets.t2.concurrency, 4);
  assert.equal(await remoteRefusal(client.removeTarget("t2")), "queue is not empty");
  await waitForDone(db, ids);
  assert.ok(
    peakConcurrency(await worker.events()) > 1,
    "raising the concurrency started queued jobs at once",
  );

  await client.removeTarget("t2");
  assert.deepEqual(Object.keys((await client.status()).targets), ["t1"]);
  assert.equal(await remoteRefusal(client.poll(["t2"])), "invalid target 't2'");
});

Deno.test("output beyond max_output_buffer is dropped with a marker and memory stays bounded", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { max_output_buffer: 1048576 } });
  const [id] = await db.insertJobs("t1", 1);
  // 10 MiB on stdout, a little on stderr.
  await worker.script(id, "head -c 10485760 /dev/zero | tr '\\0' 'x'; echo fine >&2");
  await worker.client.poll();
  const [row] = await waitForDone(db, [id]);
  const marker = "\n[jobd: output truncated, 9437184 bytes dropped]";
  assert.equal(row.stdout, "x".repeat(1048576) + marker);
  assert.equal(row.stderr, "fine\n");
  assert.equal(row.result, "ok");
  const { rss } = (await worker.client.status()).memoryUsage;
  assert.ok(
    rss < 250 * 1024 * 1024,
    `worker RSS ${rss} should stay far below 10 MiB per job copies`,
  );
});

Deno.test("a job killed by a signal is stored with sig and no return code; send-signal reaches it", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 2 } });
  const [selfKilled, waiting] = await db.insertJobs("t1", 2);
  await worker.script(selfKilled, "kill -KILL $$");
  await worker.script(waiting, "exec sleep 30");
  await worker.client.poll();
  const [row] = await waitForDone(db, [selfKilled]);
  assert.deepEqual([row.result, row.return_code, row.sig], ["fail", null, "SIGKILL"]);

  await waitFor(
    "the sleeper to run",
    async () => (await db.rows([waiting]))[0].status === "running",
  );
  assert.deepEqual(await worker.client.sendSignal({ [waiting]: "TERM", 424242: 9 }), {
    [waiting]: true,
    424242: false,
  });
  const [killed] = await waitForDone(db, [waiting]);
  assert.deepEqual([killed.result, killed.return_code, killed.sig], ["fail", null, "SIGTERM"]);
  assert.deepEqual(await worker.client.sendSignal({ [waiting]: 15 }), { [waiting]: false });
});

Deno.test("a launcher that cannot start ends the job as fail with the reason, and the worker goes on", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, {
    config: { launcher: "/nonexistent/launcher {id}" },
  });
  const ids = await db.insertJobs("t1", 2);
  await worker.client.poll();
  const rows = await waitForDone(db, ids);
  for (const row of rows) {
    assert.equal(row.result, "fail");
    assert.equal(row.return_code, null);
    assert.match(row.stderr ?? "", /\/nonexistent\/launcher/);
  }
});

Deno.test("two workers serving one target run each of 1,000 jobs exactly once", async () => {
  await using db = await openTestDatabase();
  const ids = await db.insertJobs("t1", 1000);
  await using first = await startWorker(db, { targets: { t1: 8 }, config: { name: "w1" } });
  await using second = await startWorker(db, {
    targets: { t1: 8 },
    jobDir: first.jobDir,
    config: { name: "w2" },
  });
  await first.script("default", "true");
  await Promise.all([first.client.poll(), second.client.poll()]);
  await waitForDone(db, ids, 120);
  const starts = (await first.events()).filter((line) => line.startsWith("start "));
  assert.equal(starts.length, 1000);
  assert.equal(new Set(starts).size, 1000, "no job ran twice");
});

Deno.test("results are not lost when the database restarts while jobs run", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  const ids = await db.insertJobs("t1", 6);
  await using worker = await startWorker(db, { targets: { t1: 6 } });
  await worker.script("default", "sleep 2; echo done $id");
  await worker.client.poll();
  await waitFor(
    "all running",
    async () => (await db.rows(ids)).every((row) => row.status === "running"),
  );
  await db.server!.stop();
  await waitFor("jobs ended", async () => (await worker.events()).length === 12);
  await waitFor(
    "results waiting for the database",
    async () => (await worker.client.status()).pendingResultWrites === 6,
  );
  await db.server!.start();
  const rows = await waitForDone(db, ids, 60);
  assert.deepEqual(rows.map((row) => row.stdout), ids.map((id) => `done ${id}\n`));
  assert.equal((await worker.client.status()).pendingResultWrites, 0);
});

Deno.test("a port in use and a bad config stop the worker with a message naming them", async () => {
  await using db = await openTestDatabase();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const dir = await Deno.makeTempDir();
    const configPath = `${dir}/jobd.conf`;
    await Deno.writeTextFile(configPath, workerConfig(db, listener.addr.port, dir));
    await using busy = spawnProgram("jobd", ["--config", configPath], { dir });
    const { status, stderr } = await busy.finished();
    assert.notEqual(status.code, 0);
    assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${listener.addr.port}`));
  } finally {
    listener.close();
  }

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.conf`, iniText({ host: "127.0.0.1", port: freePort() }));
    const bad = await runProgram("jobd", ["--config", `${dir}/bad.conf`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /config parsing error: .*bad\.conf: 'mysql_host' is not defined/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobd prints usage with no arguments and its version with --version", async () => {
  const usage = await runProgram("jobd", []);
  assert.equal(usage.code, 0);
  assert.match(usage.stdout, /Usage: jobd --config PATH/);
  const version = await runProgram("jobd", ["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^jobd \d+\.\d+\.\d+/);
});
