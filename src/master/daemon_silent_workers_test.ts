/**
 * The master with workers that answer late or not at all (scripted, in
 * process): one silent or hung worker is named in the answers, dropped by
 * the heartbeat, passed over, and holds up nothing the others can answer.
 */

import assert from "node:assert/strict";
import { RemoteError } from "../net/errors.ts";
import type { MasterDaemon } from "./daemon.ts";
import { ScriptedWorker, startMasterDaemon, until } from "../../tests/helpers/master_in_process.ts";
import { encodePing, encodeRequest } from "../protocol/messages.ts";

/**
 * A worker that registers and pings the master but answers nothing, not
 * even the master's pings: built on the shared codec over a raw socket
 * that is read and dropped.
 */
async function mutePingingWorker(daemon: MasterDaemon, name: string, targets: string[]) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.server.addr.port });
  await conn.write(encodeRequest({ no: 1, type: "register-worker", data: { name, targets } }));
  const pinger = setInterval(() => conn.write(encodePing()).catch(() => {}), 50);
  const draining = (async () => {
    const sink = new Uint8Array(4096);
    while (await conn.read(sink).catch(() => null) !== null) { /* dropped */ }
  })();
  await until("the mute worker to register", () => daemon.registry.size > 0);
  return {
    async [Symbol.asyncDispose]() {
      clearInterval(pinger);
      try {
        conn.close();
      } catch {
        // Closed by the master already.
      }
      await draining;
    },
  };
}

Deno.test("run-manual to a worker that pings but answers nothing ends with per-id errors", async () => {
  // No request times out on its own: only the heartbeat dropping the mute worker (after two
  // silent ping intervals) can end the run-manual.
  await using master = await startMasterDaemon({ pingInterval: 0.2, requestTimeout: 3600 });
  await using _mute = await mutePingingWorker(master.daemon, "mute", ["build"]);
  await using _good = await ScriptedWorker.register(master.daemon, "good", ["mail"]);
  const answer = await master.client.runManual([
    { id: 1, target: "build" },
    { id: 2, target: "build" },
    { id: 3, target: "mail" },
  ]);
  assert.deepEqual(Object.keys(answer.jobs ?? {}), ["3"]);
  assert.deepEqual(Object.keys(answer.errors ?? {}).sort(), ["1", "2"]);
  assert.match(answer.errors![1], /^worker 'mute' did not answer: /);
  assert.deepEqual(master.daemon.registry.workers.map((worker) => worker.name), ["good"]);
});

Deno.test("a forwarded request waits request_timeout for a worker, then names it", async () => {
  await using master = await startMasterDaemon({ requestTimeout: 0.3 });
  await using _stuck = await ScriptedWorker.register(master.daemon, "stuck", ["build"], {
    pause: () => new Promise(() => {}),
    "send-signal": () => new Promise(() => {}),
    status: () => new Promise(() => {}),
  });
  const error = await master.client.pause(["build"]).then(
    () => assert.fail("pause succeeded"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof RemoteError);
  assert.match(error.message, /worker 'stuck' did not answer: .*0\.3/);
  const signals = await master.client.sendSignal([{ id: 7, signal: 15, target: "build" }]);
  assert.match(signals.errors?.[7] ?? "", /^worker 'stuck' did not answer/);
  // status waits 5 s for a worker's own status, or request_timeout when that is shorter.
  const status = await master.client.status(true);
  assert.match(status.workers[0].workerStatusError ?? "", /did not answer: .*within 0\.3 s/);
});

Deno.test("a schedule request goes to the first worker that runs the schedule, not held by one that does not answer", async () => {
  await using master = await startMasterDaemon({ requestTimeout: 3600 });
  const silent = Promise.withResolvers<unknown>();
  // Sorted first by name, and answers its listing only when the test lets it.
  await using _stuck = await ScriptedWorker.register(master.daemon, "a-stuck", ["mail"], {
    "schedules": () => silent.promise,
  });
  const schedule = { name: "nightly", target: "build", served: true };
  await using runs = await ScriptedWorker.register(master.daemon, "b-runs", ["build"], {
    "schedules": () => ({ schedules: [schedule] }),
    "schedule-pause": () => "ok",
  });
  const paused = master.client.schedulePause("nightly");
  await until(
    "the pause to reach b-runs",
    () => runs.requests("schedule-pause").length === 1,
    30_000,
  );
  assert.equal(await paused, undefined);
  silent.resolve({ schedules: [] });
});

Deno.test("a worker silent through a whole ping interval gets run-manual and the table's requests last", async () => {
  // The test drives the heartbeat itself; nothing times out on its own.
  await using master = await startMasterDaemon({ pingInterval: 3600, requestTimeout: 3600 });
  await using _mute = await mutePingingWorker(master.daemon, "a-mute", ["build"]);
  await using good = await ScriptedWorker.register(master.daemon, "b-good", ["build"], {
    "stats": () => ({ targets: {}, time: 0 }),
  });
  const goodOnMaster = master.daemon.registry.workers.find((worker) => worker.name === "b-good")!;
  master.daemon.heartbeat.beat();
  await until("b-good to answer the ping", () => goodOnMaster.connection.pongsReceived > 0);
  // a-mute answered nothing since the first ping: first by name, yet passed over.
  master.daemon.heartbeat.beat();
  assert.equal(master.daemon.registry.size, 2);
  const run = master.client.runManual([{ id: 1, target: "build" }]);
  await until(
    "b-good to get the run-manual",
    () => good.requests("run-manual").length === 1,
    30_000,
  );
  assert.deepEqual(Object.keys((await run).jobs ?? {}), ["1"]);
  const stats = master.client.jobStats();
  await until("b-good to get the stats", () => good.requests("stats").length === 1, 30_000);
  assert.deepEqual(await stats, { targets: {}, time: 0 });
});

Deno.test("send-signal answers once a worker delivered the signal, not held by one that does not answer", async () => {
  await using master = await startMasterDaemon({ requestTimeout: 3600 });
  await using _stuck = await ScriptedWorker.register(master.daemon, "a-stuck", ["build"], {
    "send-signal": () => new Promise(() => {}),
  });
  await using _runs = await ScriptedWorker.register(master.daemon, "b-runs", ["build"], {
    "send-signal": () => ({ 7: true }),
  });
  let answer: unknown;
  void master.client.sendSignal([{ id: 7, signal: 15, target: "build" }]).then((value) =>
    answer = value
  );
  await until("the answer", () => answer !== undefined, 30_000);
  assert.deepEqual(answer, { 7: true });
});
