/**
 * The master (`jobd-master`) as a real subprocess with real workers (`jobd`)
 * on a real MariaDB: registration, pokes, run-manual, status, pause and
 * continue, losing workers and the master itself (docs/protocol.md, "Master requests").
 *
 * Which polls a worker received is read from its debug log: a poll of a
 * target makes one `Claimed N job(s) of TARGET` line, as long as the claim
 * comes back short of the target's free slots (a full claim claims again),
 * so targets here have more slots than jobs.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../src/net/errors.ts";
import { openTestDatabase } from "./helpers/database.ts";
import {
  listedNames,
  listedTargets,
  masterConfig,
  startLinkedWorker,
  startMaster,
  type TestMaster,
} from "./helpers/master.ts";
import { freePort, runProgram, waitFor } from "./helpers/processes.ts";
import { type TestWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

/** Number of claims (one per poll) the worker has made for `target`. */
function claims(worker: TestWorker, target: string): number {
  const line = new RegExp(String.raw`Claimed \d+ job\(s\) of ${target}$`, "gm");
  return worker.process.stderrSoFar.match(line)?.length ?? 0;
}

/** Ids of the jobs the worker started, from its launcher's events log. */
async function started(worker: TestWorker): Promise<number[]> {
  return (await worker.events())
    .filter((line) => line.startsWith("start "))
    .map((line) => Number(line.slice("start ".length)))
    .sort((a, b) => a - b);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("a poke polls exactly the workers serving its targets, and the jobs run to done", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 3, b: 1 });
  await using w2 = await startLinkedWorker(db, master, "w2", { b: 1, c: 3 });
  const aIds = await db.insertJobs("a", 2);
  const [bId] = await db.insertJobs("b", 1);
  const cIds = await db.insertJobs("c", 2);

  await master.client.poke(["a", "c"]);
  const rows = await waitForDone(db, [...aIds, ...cIds]);

  assert.ok(rows.every((row) => row.result === "ok"));
  assert.deepEqual(await started(w1), aIds, "w1 alone serves a");
  assert.deepEqual(await started(w2), cIds, "w2 alone serves c");
  assert.deepEqual(
    [claims(w1, "a"), claims(w1, "b"), claims(w2, "b"), claims(w2, "c")],
    [1, 0, 0, 1],
  );
  const [bRow] = await db.rows([bId]);
  assert.equal(bRow.status, "waiting", "b was not poked");
});

Deno.test("a burst of pokes reaches a worker as one poll at once and one merged poll", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster({ config: { poke_throttle_interval: 1 } });
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 2, b: 2 });
  const ids = [...await db.insertJobs("a", 1), ...await db.insertJobs("b", 1)];

  await Promise.all(
    Array.from({ length: 10 }, (_, i) => master.client.poke([i % 2 === 0 ? "a" : "b"])),
  );
  await waitForDone(db, ids);
  // The leading poke polled a at once; a and b of the nine others came in one poll.
  await delay(2000);
  assert.deepEqual([claims(w1, "a"), claims(w1, "b")], [2, 1]);
});

Deno.test("a poke for a target nobody serves is delivered when a serving worker registers", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  const rIds = await db.insertJobs("r", 2);
  const xIds = await db.insertJobs("x", 1);
  await master.client.poke(["r", "x"]);

  await using w1 = await startLinkedWorker(db, master, "w1", { r: 3, s: 1 });
  await waitForDone(db, rIds);
  await using w2 = await startLinkedWorker(db, master, "w2", { r: 1, x: 2 });
  await waitForDone(db, xIds);

  assert.deepEqual(await started(w1), rIds);
  assert.deepEqual(await started(w2), xIds);
  // One poll each, with the targets the worker serves among those remembered.
  await delay(500);
  assert.deepEqual(
    [claims(w1, "r"), claims(w1, "s"), claims(w2, "r"), claims(w2, "x")],
    [1, 0, 0, 1],
  );
});

Deno.test("run-manual across two workers merges their results and errors", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 2 });
  await using w2 = await startLinkedWorker(db, master, "w2", { b: 2 });
  const aIds = await db.insertJobs("a", 2, "manual");
  const [bId] = await db.insertJobs("b", 1, "manual");
  const [waiting] = await db.insertJobs("b", 1, "waiting");
  const unserved = waiting + 1000;

  const result = await master.client.runManual([
    ...aIds.map((id) => ({ id, target: "a" })),
    { id: bId, target: "b" },
    { id: waiting, target: "b" },
    { id: unserved, target: "zzz" },
  ]);

  assert.deepEqual(Object.keys(result.jobs ?? {}).map(Number).sort((x, y) => x - y), [
    ...aIds,
    bId,
  ]);
  assert.deepEqual(result.jobs?.[bId], {
    result: "ok",
    code: 0,
    signal: null,
    stdout: `out ${bId}\n`,
    stderr: `err ${bId}\n`,
  });
  assert.deepEqual(result.errors, {
    [waiting]: "status = waiting != manual",
    [unserved]: "worker serving target 'zzz' not found",
  });
  assert.deepEqual(await started(w1), aIds);
  assert.deepEqual(await started(w2), [bId]);
  const rows = await db.rows([...aIds, bId, waiting]);
  assert.deepEqual(rows.map((row) => row.status), ["done", "done", "done", "waiting"]);
});

Deno.test("run-manual naming the wrong target leaves the job manual; the worker's own run-manual ignores it", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using builder = await startLinkedWorker(db, master, "builder", { build: 2 });
  const [mailJob, other] = await db.insertJobs("mail", 2, "manual");

  // A typo: the job is of target 'mail', the caller wrote 'build'; the worker serving build gets it.
  const wrong = await master.client.runManual([{ id: mailJob, target: "build" }]);

  assert.deepEqual(wrong, {
    errors: { [mailJob]: `job ${mailJob} belongs to target 'mail', not 'build'` },
  });
  assert.equal((await db.rows([mailJob]))[0].status, "manual", "the job can still be run");
  await using mailer = await startLinkedWorker(db, master, "mailer", { mail: 1 });
  const right = await master.client.runManual([{ id: mailJob, target: "mail" }]);
  assert.equal(right.jobs?.[mailJob]?.stdout, `out ${mailJob}\n`);
  assert.deepEqual(await started(mailer), [mailJob]);

  // A worker's own run-manual names no target: a manual row of a target it does not serve is ignored.
  const own = await builder.client.runManual([other]);
  assert.deepEqual(own, { errors: { [other]: `target 'mail' not found (job id=${other})` } });
  assert.equal((await db.rows([other]))[0].status, "ignored");
  assert.deepEqual(await started(builder), []);
});

Deno.test("send-signal through the master reaches the job on whichever worker runs it", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 2 });
  await using w2 = await startLinkedWorker(db, master, "w2", { a: 2 });
  const [sleeper] = await db.insertJobs("a", 1);
  await w1.script(sleeper, "exec sleep 30");
  await w2.script(sleeper, "exec sleep 30");
  await master.client.poke(["a"]);
  await waitFor(
    "the sleeper to run",
    async () => (await db.rows([sleeper]))[0].status === "running",
  );

  const answer = await master.client.sendSignal([
    { id: sleeper, signal: "SIGTERM", target: "a" },
    { id: sleeper + 1, signal: 15, target: "a" },
    { id: sleeper + 2, signal: 15, target: "zzz" },
  ]);

  assert.deepEqual(answer, {
    [sleeper]: true,
    [sleeper + 1]: false,
    errors: { [sleeper + 2]: "worker serving target 'zzz' not found" },
  });
  const [row] = await waitForDone(db, [sleeper]);
  assert.deepEqual([row.result, row.return_code, row.sig], ["fail", null, "SIGTERM"]);

  await assert.rejects(
    master.client.sendSignal([{ id: sleeper, signal: "SIGFOO", target: "a" }]),
    (error) =>
      error instanceof RemoteError &&
      error.message === `unknown signal 'SIGFOO' for job ${sleeper}`,
  );
});

Deno.test("status with poll_workers shows each worker's targets and its own status", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 2, b: 1 });
  await using _w2 = await startLinkedWorker(db, master, "w2", { b: 3 });

  const status = await master.client.status(true);

  assert.deepEqual(status.workers.map((worker) => [worker.name, worker.targets]), [
    ["w1", ["a", "b"]],
    ["w2", ["b"]],
  ]);
  const [one, two] = status.workers;
  assert.equal(one.remoteAddr, "127.0.0.1");
  assert.equal(typeof one.remotePort, "number");
  assert.deepEqual(one.workerStatus?.targets, {
    a: { paused: false, concurrency: 2, length: 0 },
    b: { paused: false, concurrency: 1, length: 0 },
  });
  assert.deepEqual(two.workerStatus?.targets, { b: { paused: false, concurrency: 3, length: 0 } });
  assert.deepEqual(await w1.client.status().then((own) => Object.keys(own.targets)), ["a", "b"]);
  const plain = await master.client.status();
  assert.equal(plain.workers[0].workerStatus, undefined, "no worker status unless asked");
});

Deno.test("pause and continue through the master hold and release a target on every worker", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 1, b: 1 });
  await using w2 = await startLinkedWorker(db, master, "w2", { a: 1 });

  assert.equal(await master.client.request("pause", { targets: ["a"] }), "ok");
  const paused = (await master.client.status(true)).workers.map((worker) =>
    Object.entries(worker.workerStatus!.targets).map(([name, target]) => [name, target.paused])
  );
  assert.deepEqual(paused, [[["a", true], ["b", false]], [["a", true]]]);

  const ids = await db.insertJobs("a", 2);
  await master.client.poke(["a"]);
  await waitFor("the jobs to be claimed", async () => {
    const rows = await db.rows(ids);
    return rows.every((row) => row.status === "accepted");
  });
  assert.deepEqual([...await started(w1), ...await started(w2)], [], "paused: nothing starts");

  assert.equal(await master.client.request("continue"), "ok");
  await waitForDone(db, ids);
  const resumed = (await master.client.status(true)).workers.map((worker) =>
    worker.workerStatus!.targets.a.paused
  );
  assert.deepEqual(resumed, [false, false]);
});

Deno.test("a worker that dies is dropped; one that freezes is dropped after two pings", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster({ config: { ping_interval: 1 } });
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 1 });
  await using w2 = await startLinkedWorker(db, master, "w2", { a: 1 });
  assert.deepEqual(await listedNames(master.client), ["w1", "w2"]);

  // SIGKILL: the kernel closes the socket and the master sees it at once.
  w1.process.kill("SIGKILL");
  await waitFor("w1 to be dropped", async () => !(await listedNames(master.client)).includes("w1"));

  // SIGSTOP: the connection stays open but answers nothing, so the pings decide.
  w2.process.kill("SIGSTOP");
  await waitFor("w2 to be dropped", async () => (await listedNames(master.client)).length === 0);
  assert.match(master.process.stderrSoFar, /Worker w2@\S+ answered none of the last 2 pings/);
  w2.process.kill("SIGCONT");
  await waitFor(
    "w2 to register again",
    async () => (await listedNames(master.client)).includes("w2"),
  );
});

Deno.test("workers reconnect to a restarted master, which lists them and routes to them again", async () => {
  await using db = await openTestDatabase();
  const port = freePort();
  const first = await startMaster({ port });
  let second: TestMaster | undefined;
  try {
    await using w1 = await startLinkedWorker(db, first, "w1", { a: 1 });
    await using _w2 = await startLinkedWorker(db, first, "w2", { b: 1 });

    first.client.close();
    assert.equal(first.process.kill("SIGTERM"), true);
    const { status } = await first.process.finished();
    assert.equal(status.code, 0, "SIGTERM is a clean exit");

    second = await startMaster({ port });
    const client = second.client;
    await waitFor("both workers to be back", async () => {
      const names = await listedNames(client);
      return names.length === 2 && names;
    });
    const ids = await db.insertJobs("a", 1);
    await client.poke(["a"]);
    await waitForDone(db, ids);
    assert.deepEqual(await started(w1), ids);
  } finally {
    await first[Symbol.asyncDispose]();
    await second?.[Symbol.asyncDispose]();
  }
});

Deno.test("targets added to or removed from a worker show up in the master's status", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  await using w1 = await startLinkedWorker(db, master, "w1", { a: 1 });

  await w1.client.addTarget("fresh", 2);
  await waitFor("the new target", async () => (await listedTargets(master, "w1"))?.length === 2);
  assert.deepEqual(await listedTargets(master, "w1"), ["a", "fresh"]);

  const ids = await db.insertJobs("fresh", 1);
  await master.client.poke(["fresh"]);
  await waitForDone(db, ids);

  await w1.client.removeTarget("a");
  await waitFor(
    "the removed target",
    async () => (await listedTargets(master, "w1"))?.length === 1,
  );
  assert.deepEqual(await listedTargets(master, "w1"), ["fresh"]);
});

Deno.test("a reload changing 2,000 targets reaches the master as one registration, not one per target", async () => {
  await using db = await openTestDatabase();
  await using master = await startMaster();
  const names = (prefix: string) =>
    Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`${prefix}-${i}`, 1]));
  const config = { log_level_console: "info" };
  await using w1 = await startLinkedWorker(db, master, "w1", names("old"), config);
  const updates = () => master.process.stderrSoFar.match(/Worker w1@\S+ updated its targets/g);

  await Deno.writeTextFile(
    w1.configPath,
    workerConfig(db, w1.port, w1.jobDir, {
      targets: names("new"),
      config: {
        name: "w1",
        master_host: "127.0.0.1",
        master_port: master.port,
        master_reconnect_timeout: 1,
        ...config,
      },
    }),
  );
  w1.process.kill("SIGHUP");
  const listed = await waitFor("the renamed targets", async () => {
    const targets = await listedTargets(master, "w1");
    return targets?.[0] === "new-0" && targets.length === 2000 ? targets : undefined;
  });

  assert.deepEqual(listed, Object.keys(names("new")));
  // Each registration lists every target: one per change (4,000 here) cost their square.
  assert.equal(updates()?.length, 1);
  assert.doesNotMatch(w1.process.stderrSoFar, /did not take the new targets/);
});

Deno.test("jobd-master: usage, config errors, a busy port, SIGHUP reload", async () => {
  const usage = await runProgram("jobd-master", []);
  assert.equal(usage.code, 0);
  assert.match(usage.stdout, /Usage: jobd-master --config PATH/);

  const dir = await Deno.makeTempDir({ prefix: "jobd-master-test-" });
  try {
    await Deno.writeTextFile(`${dir}/missing-host.conf`, "port = 7081\n");
    const missing = await runProgram("jobd-master", ["--config", `${dir}/missing-host.conf`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /config parsing error: .*'host' is not defined/);

    await using master = await startMaster({ config: { log_level_console: "info" } });
    await Deno.writeTextFile(`${dir}/busy.conf`, masterConfig(master.port));
    const busy = await runProgram("jobd-master", ["--config", `${dir}/busy.conf`]);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${master.port}`));

    await Deno.writeTextFile(
      master.configPath,
      masterConfig(master.port, { ping_interval: 5, log_level_console: "info", port: 1 }),
    );
    master.process.kill("SIGHUP");
    await waitFor("the reload", () => master.process.stderrSoFar.includes("Config reloaded"));
    assert.match(master.process.stderrSoFar, /port changed but need a restart/);

    await Deno.writeTextFile(master.configPath, "host = 127.0.0.1\nping_interval = 0\n");
    master.process.kill("SIGHUP");
    await waitFor(
      "the refused reload",
      () => master.process.stderrSoFar.includes("Config reload failed, keeping the running config"),
    );
    assert.deepEqual(await listedNames(master.client), [], "still serving");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
