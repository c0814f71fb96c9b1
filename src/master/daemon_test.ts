/**
 * The master in-process, with scripted workers: real connections that
 * register like a worker and answer the master's requests as each test
 * says, so that failures (a refusing or vanishing worker) are easy to stage.
 * tests/master_test.ts runs the same behaviour with real workers.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../net/errors.ts";
import type { RequestData } from "../protocol/messages.ts";
import {
  DEFAULT_ANSWERS,
  masterConfig,
  rejectsWith,
  ScriptedWorker,
  startMasterDaemon,
  until,
} from "../../tests/helpers/master_in_process.ts";
import { MAX_LIST_ITEMS } from "../protocol/limits.ts";

Deno.test("every request gets an answer, 'ok' when there is nothing to say", async () => {
  await using master = await startMasterDaemon();
  const { client } = master;
  assert.equal(await client.request("pause"), "ok");
  assert.equal(await client.request("continue"), "ok");
  assert.equal(await client.request("poke", { targets: ["build"] }), "ok");
  assert.deepEqual(await client.request("run-manual", { jobs: [] }), {});
  assert.deepEqual(await client.request("send-signal", { jobs: [] }), {});
  assert.deepEqual((await client.status()).workers, []);
  await rejectsWith(client.request("poll"), "unknown request type: 'poll'");
});

Deno.test("a status too large for a message is refused before anything is asked, naming its size", async () => {
  await using master = await startMasterDaemon();
  const targets = (worker: string) =>
    Array.from({ length: MAX_LIST_ITEMS }, (_, i) => `${worker}-${i}-`.padEnd(1000, "x"));
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", targets("w1"));
  // One worker's 10 MB of names go; asked for its own status too, they would not.
  assert.equal((await master.client.status()).workers[0].targets.length, MAX_LIST_ITEMS);
  await rejectsWith(
    master.client.status(true),
    "status with poll_workers cannot be answered: it would take about 22 MiB (1 workers, " +
      "10000 targets), over the 16 MiB a message may have; ask the workers one by one",
  );
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", targets("w2"));
  await rejectsWith(
    master.client.status(),
    "status cannot be answered: it would take about 20 MiB (2 workers, 20000 targets), over " +
      "the 16 MiB a message may have; ask the workers one by one",
  );
  assert.equal(w1.requests("status").length + w2.requests("status").length, 0, "none was asked");
});

Deno.test("register-worker refuses a missing or unreadable name or bad targets, with the older texts", async () => {
  await using master = await startMasterDaemon();
  const { client } = master;
  await rejectsWith(
    client.request("register-worker", { targets: ["a"] }),
    "name is missing or invalid",
  );
  await rejectsWith(
    client.request("register-worker", { name: "w1", targets: [1] }),
    "all targets must be strings, number given",
  );
  await rejectsWith(
    client.request("register-worker", { name: "w1" }),
    "missing required field targets",
  );
  // A name that would read as another in the master's lists (a right-to-left override).
  await rejectsWith(
    client.request("register-worker", { name: "evil\u202e", targets: ["a"] }),
    "invalid worker name 'evil\\u202e': it contains U+202E, an invisible format character " +
      "(such as a bidirectional override or a zero-width space), which changes how the text " +
      "around it reads",
  );
  assert.equal(master.daemon.registry.size, 0);
});

Deno.test("status lists each worker's name, address and targets; a closed worker is gone", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build", "mail"]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"]);
  const status = await master.client.status();
  assert.deepEqual(status.workers, [
    {
      name: "w1",
      remoteAddr: "127.0.0.1",
      remotePort: w1.localPort,
      targets: ["build", "mail"],
    },
    {
      name: "w2",
      remoteAddr: "127.0.0.1",
      remotePort: w2.localPort,
      targets: ["mail"],
    },
  ]);
  assert.equal(typeof status.memoryUsage.rss, "number");
  w2.connection.close();
  await until("w2 to be gone", () => master.daemon.registry.size === 1);
  assert.deepEqual((await master.client.status()).workers.map((worker) => worker.name), ["w1"]);
});

Deno.test("status with poll_workers adds each worker's status, or the error it gave", async () => {
  await using master = await startMasterDaemon();
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {
    status: () => ({ targets: { build: { paused: false, concurrency: 2, length: 1 } } }),
  });
  await using _w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"], {
    status: () => Promise.reject(new Error("out of order")),
  });
  const [w1, w2] = (await master.client.status(true)).workers;
  assert.deepEqual(w1.workerStatus, {
    targets: { build: { paused: false, concurrency: 2, length: 1 } },
  });
  assert.equal(w1.workerStatusError, undefined);
  assert.equal(w2.workerStatus, undefined);
  assert.equal(w2.workerStatusError, "worker 'w2' refused: out of order");
});

Deno.test("a second worker under a name whose holder answers is refused; the first stays", async () => {
  await using master = await startMasterDaemon();
  await using first = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  await assert.rejects(
    ScriptedWorker.register(master.daemon, "w1", ["mail"]),
    (error: unknown) =>
      error instanceof RemoteError &&
      error.message ===
        `worker name 'w1' is already registered from 127.0.0.1:${first.localPort}: ` +
          "give each worker its own 'name'",
  );
  assert.equal(first.connection.isClosed, false);
  const workers = (await master.client.status()).workers;
  assert.deepEqual(workers.map((worker) => [worker.name, worker.targets]), [["w1", ["build"]]]);
});

Deno.test("pause and continue go to the workers serving the targets, each with its share", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build", "mail"]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["video"]);
  assert.equal(await master.client.request("pause", { targets: ["mail"] }), "ok");
  assert.deepEqual(w1.requests("pause"), [{ targets: ["mail"] }]);
  assert.deepEqual(w2.requests("pause"), []);
  assert.equal(await master.client.request("continue"), "ok");
  assert.deepEqual(w1.requests("continue"), [{}]);
  assert.deepEqual(w2.requests("continue"), [{}]);
});

Deno.test("pause names the targets nobody serves and the workers that failed", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {
    pause: () => Promise.reject(new Error("invalid target 'build'")),
  });
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"]);
  await rejectsWith(
    master.client.pause(["build", "mail", "video"]),
    "pause incomplete: worker 'w1' refused: invalid target 'build'; no worker serves target 'video'",
  );
  assert.equal(w1.requests("pause").length, 1);
  assert.deepEqual(w2.requests("pause"), [{ targets: ["mail"] }]);
});

Deno.test("run-manual sends each worker one request and merges the answers", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"], {
    "run-manual": () => ({
      jobs: { 3: { result: "fail", code: 1, signal: null, stdout: "", stderr: "no" } },
      errors: { 4: "job 4 not found" },
    }),
  });
  const result = await master.client.runManual([
    { id: 1, target: "build" },
    { id: 3, target: "mail" },
    { id: 2, target: "build" },
    { id: 4, target: "mail" },
    { id: 5, target: "video" },
  ]);
  // Each id carries the target it was named with: a row of another target is left alone.
  assert.deepEqual(w1.requests("run-manual"), [
    { ids: [1, 2], targets: { 1: "build", 2: "build" } },
  ]);
  assert.deepEqual(w2.requests("run-manual"), [{ ids: [3, 4], targets: { 3: "mail", 4: "mail" } }]);
  assert.deepEqual(Object.keys(result.jobs ?? {}).toSorted(), ["1", "2", "3"]);
  assert.equal(result.jobs?.[3].result, "fail");
  assert.deepEqual(result.errors, {
    4: "job 4 not found",
    5: "worker serving target 'video' not found",
  });
});

Deno.test("run-manual takes from each worker's answer only its own ids, and names one it left out", async () => {
  await using master = await startMasterDaemon();
  // w1 answers for a job it was not sent (w2's) and says nothing of job 2.
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {
    "run-manual": () => ({
      jobs: {
        1: { result: "ok", code: 0, signal: null, stdout: "job 1\n", stderr: "" },
        3: { result: "ok", code: 0, signal: null, stdout: "not w1's\n", stderr: "" },
      },
    }),
  });
  await using _w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"], {
    "run-manual": () => ({ errors: { 3: "job 3 not found" } }),
  });
  const result = await master.client.runManual([
    { id: 1, target: "build" },
    { id: 2, target: "build" },
    { id: 3, target: "mail" },
  ]);
  assert.deepEqual(Object.keys(result.jobs ?? {}), ["1"]);
  assert.deepEqual(result.errors, {
    2: "worker 'w1' answered nothing about job 2",
    3: "job 3 not found",
  });
});

Deno.test("a worker that refuses or disconnects during run-manual fails only its own ids", async () => {
  await using master = await startMasterDaemon();
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  await using _w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail"], {
    "run-manual": () => Promise.reject(new Error("another client is already waiting for job 3")),
  });
  const w3: ScriptedWorker = await ScriptedWorker.register(master.daemon, "w3", ["video"], {
    "run-manual": () => {
      w3.connection.close();
      return new Promise(() => {});
    },
  });
  const result = await master.client.runManual([
    { id: 1, target: "build" },
    { id: 3, target: "mail" },
    { id: 5, target: "video" },
    { id: 6, target: "video" },
  ]);
  assert.deepEqual(Object.keys(result.jobs ?? {}), ["1"]);
  assert.equal(
    result.errors?.[3],
    "worker 'w2' refused: another client is already waiting for job 3",
  );
  assert.match(result.errors?.[5] ?? "", /^worker 'w3' did not answer: Connection to .* closed/);
  // The request may have reached w3: the job may run there all the same.
  assert.match(
    result.errors?.[5] ?? "",
    /; it may have started job 5 all the same \(see 'show 5'\)$/,
  );
  const failure = result.errors?.[5]?.split("; it may")[0];
  assert.equal(
    result.errors?.[6],
    `${failure}; it may have started job 6 all the same (see 'show 6')`,
  );
});

Deno.test("run-manual goes to the least busy worker serving the target", async () => {
  await using master = await startMasterDaemon();
  const release = Promise.withResolvers<void>();
  const slow = {
    "run-manual": (data: RequestData) =>
      release.promise.then(() => DEFAULT_ANSWERS["run-manual"](data)),
  };
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], slow);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["build"], slow);
  const first = master.client.runManual([{ id: 1, target: "build" }]);
  await until("the first run-manual", () => w1.received.length + w2.received.length === 1);
  const busy = w1.requests("run-manual").length === 1 ? w1 : w2;
  const idle = busy === w1 ? w2 : w1;
  const second = master.client.runManual([{ id: 2, target: "build" }]);
  await until("the second run-manual", () => idle.requests("run-manual").length === 1);
  assert.deepEqual(idle.requests("run-manual"), [{ ids: [2], targets: { 2: "build" } }]);
  release.resolve();
  assert.deepEqual(Object.keys((await first).jobs ?? {}), ["1"]);
  assert.deepEqual(Object.keys((await second).jobs ?? {}), ["2"]);
});

Deno.test("send-signal asks every worker serving the target and answers a flat map", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["build"], {
    "send-signal": (data) => ({ ...DEFAULT_ANSWERS["send-signal"](data) as object, 7: true }),
  });
  const result = await master.client.request("send-signal", {
    jobs: [
      { id: 7, signal: 15, target: "build" },
      { id: 8, signal: "SIGKILL", target: "build" },
      { id: 9, signal: 15, target: "video" },
    ],
  });
  assert.deepEqual(w1.requests("send-signal"), [{ jobs: { 7: 15, 8: "SIGKILL" } }]);
  assert.deepEqual(w2.requests("send-signal"), [{ jobs: { 7: 15, 8: "SIGKILL" } }]);
  assert.deepEqual(result, {
    7: true,
    8: false,
    errors: { 9: "worker serving target 'video' not found" },
  });
});

Deno.test("send-signal reports a job as an error when a worker that may run it failed", async () => {
  await using master = await startMasterDaemon();
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {
    "send-signal": () => Promise.reject(new Error("boom")),
  });
  await using _w2 = await ScriptedWorker.register(master.daemon, "w2", ["build"]);
  const result = await master.client.request("send-signal", {
    jobs: [{ id: 7, signal: 15, target: "build" }],
  });
  assert.deepEqual(result, { errors: { 7: "worker 'w1' refused: boom" } });
});

Deno.test("the master pings registered workers and never a plain client", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  const raw = await Deno.connect({ hostname: "127.0.0.1", port: master.daemon.server.addr.port });
  try {
    const worker = master.daemon.registry.workers[0];
    master.daemon.heartbeat.beat();
    master.daemon.heartbeat.beat();
    await until("two pongs", () => worker.connection.pongsReceived === 2);
    // The first bytes the plain client gets are its response, not a ping.
    await raw.write(new TextEncoder().encode('[0,{"no":5,"type":"pause","data":{}}]\x04'));
    const buffer = new Uint8Array(1024);
    const count = await raw.read(buffer);
    assert.equal(
      new TextDecoder().decode(buffer.subarray(0, count ?? 0)),
      '[1,{"no":5,"data":"ok"}]\x04',
    );
    assert.equal(w1.requests("pause").length, 1);
  } finally {
    raw.close();
  }
});

Deno.test("shutdown answers a run-manual still waiting for a worker", async () => {
  const master = await startMasterDaemon();
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {
    "run-manual": () => new Promise(() => {}),
  });
  const pending = master.client.runManual([{ id: 1, target: "build" }]);
  await until("the run-manual to reach w1", () => _w1.received.length === 1);
  const stopping = master.daemon.shutdown();
  const result = await pending;
  assert.match(result.errors?.[1] ?? "", /^worker 'w1' did not answer: /);
  await stopping;
  master.client.close();
});

Deno.test("reload applies ping_interval, poke_throttle_interval, request_timeout; keeps host, port, max_connections", async () => {
  await using master = await startMasterDaemon();
  const { daemon } = master;
  daemon.reload(
    masterConfig({
      pingInterval: 5,
      pokeThrottleInterval: 2,
      requestTimeout: 0.2,
      port: 1234,
      maxConnections: 3,
    }),
  );
  assert.equal(daemon.heartbeat.interval, 5);
  assert.equal(daemon.pokes.throttleInterval, 2);
  assert.equal(daemon.pokes.requestTimeout, 0.2);
  assert.equal(daemon.config.pingInterval, 5);
  assert.equal(daemon.config.port, 0);
  assert.equal(daemon.config.maxConnections, 1000);
  // The new request_timeout applies to the next forwarded request.
  await using _stuck = await ScriptedWorker.register(daemon, "stuck", ["build"], {
    pause: () => new Promise(() => {}),
  });
  await assert.rejects(master.client.pause(["build"]), /worker 'stuck' did not answer: .*0\.2/);
});

/** Whether this machine has IPv6 loopback (a second address to connect from). */
const HAS_IPV6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test("register-worker needs the password when the master has one, even from loopback", async () => {
  await using master = await startMasterDaemon({ password: "pw", alwaysAllowLocalhost: true });
  const refused = await ScriptedWorker.register(master.daemon, "w1", ["build"]).then(
    () => assert.fail("registered without the password"),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof RemoteError);
  assert.match(refused.message, /register-worker needs the master's password/);
  assert.equal(master.daemon.registry.size, 0);
  await using _w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"], {}, {
    password: "pw",
  });
  assert.equal(master.daemon.registry.size, 1);
});

Deno.test({
  name: "a name registered from another host is refused, and the first worker stays",
  ignore: !HAS_IPV6,
  async fn() {
    await using master = await startMasterDaemon({ host: "::" });
    await using first = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
    const refused = await ScriptedWorker.register(master.daemon, "w1", ["mail"], {}, {
      hostname: "::1",
    }).then(() => assert.fail("registered twice"), (error: unknown) => error);
    assert.ok(refused instanceof RemoteError);
    assert.match(refused.message, /worker name 'w1' is already registered from .*127\.0\.0\.1/);
    assert.equal(first.connection.isClosed, false);
    const workers = (await master.client.status()).workers;
    assert.deepEqual(workers.map((worker) => [worker.name, worker.targets]), [["w1", ["build"]]]);
  },
});

Deno.test("lists in master requests are bounded, with an error naming the field and limit", async () => {
  await using master = await startMasterDaemon();
  const targets = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => `t${i}`);
  await assert.rejects(master.client.poke(targets), {
    message: `'targets' has ${MAX_LIST_ITEMS + 1} items: at most ${MAX_LIST_ITEMS} in one request`,
  });
  const jobs = targets.map((target, i) => ({ id: i + 1, target }));
  await assert.rejects(master.client.runManual(jobs), { message: /^'jobs' has 10001 items/ });
  assert.deepEqual(master.daemon.pokes.remembered, []);
});
