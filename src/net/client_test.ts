import assert from "node:assert/strict";
import { ControlRequest } from "../protocol/control_requests.ts";
import { MasterRequest, WorkerRequest } from "../protocol/requests.ts";
import { MasterClient, WorkerClient } from "./client.ts";
import { Connection } from "./connection.ts";
import { ConnectError, RemoteError, RequestTimeoutError } from "./errors.ts";
import { type Handlers, Server, type ServerOptions } from "./server.ts";

/** A server on a free loopback port, closed when the test's scope ends. */
function serve(handlers: Handlers, options: Partial<ServerOptions> = {}) {
  const server = Server.listen({ hostname: "127.0.0.1", port: 0, handlers, ...options });
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() });
}

/**
 * A server that answers every worker and master request type with
 * `answers[type]` ("ok" when absent) and records what it received.
 */
function recordingServer(
  answers: Record<string, unknown> = {},
  options: Partial<ServerOptions> = {},
) {
  const received: [string, unknown][] = [];
  const handlers: Record<string, Handlers[string]> = {};
  const types = [
    ...Object.values(WorkerRequest),
    ...Object.values(MasterRequest),
    ...Object.values(ControlRequest),
  ];
  for (const type of new Set(types)) {
    handlers[type] = (data) => {
      received.push([type, data]);
      return Promise.resolve(answers[type]);
    };
  }
  return Object.assign(serve(handlers, options), { received });
}

Deno.test("WorkerClient sends each worker request with its data", async () => {
  await using server = recordingServer();
  await using worker = await WorkerClient.connect({ host: "127.0.0.1", port: server.addr.port });
  await worker.poll();
  await worker.poll(["reports", "mail"]);
  await worker.pause();
  await worker.pause(["mail"]);
  await worker.continue();
  await worker.continue(["mail"]);
  await worker.runManual([3, 4]);
  await worker.runManual([3, 4], { expectedTargets: new Map([[3, "mail"]]) });
  await worker.sendSignal({ 3: "SIGTERM", 4: 9 });
  await worker.addTarget("mail", 2);
  await worker.setTargetConcurrency("mail", 5);
  await worker.removeTarget("mail");
  await worker.status();
  await worker.schedules();
  await worker.scheduleRun("nightly");
  await worker.schedulePause("nightly");
  await worker.scheduleResume("nightly");
  await worker.request("status", { any: "data" });
  assert.deepEqual(server.received, [
    ["poll", {}],
    ["poll", { targets: ["reports", "mail"] }],
    ["pause", {}],
    ["pause", { targets: ["mail"] }],
    ["continue", {}],
    ["continue", { targets: ["mail"] }],
    ["run-manual", { ids: [3, 4] }],
    ["run-manual", { ids: [3, 4], targets: { "3": "mail" } }],
    ["send-signal", { jobs: { "3": "SIGTERM", "4": 9 } }],
    ["add-target", { target: "mail", concurrency: 2 }],
    ["set-target-concurrency", { target: "mail", concurrency: 5 }],
    ["remove-target", { target: "mail" }],
    ["status", {}],
    ["schedules", {}],
    ["schedule-run", { name: "nightly" }],
    ["schedule-pause", { name: "nightly" }],
    ["schedule-resume", { name: "nightly" }],
    ["status", { any: "data" }],
  ]);
});

Deno.test("WorkerClient resolves with the worker's response data", async () => {
  const status = {
    targets: { mail: { paused: false, concurrency: 2, length: 0 } },
    jobPromisesCount: 0,
    memoryUsage: { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 },
  };
  const runManual = {
    jobs: { "3": { result: "ok", code: 0, signal: null, stdout: "done\n", stderr: "" } },
    errors: { "4": "job 4 not found" },
  };
  await using server = recordingServer({
    status,
    "run-manual": runManual,
    "send-signal": { "3": true, "4": false },
  });
  await using worker = await WorkerClient.connect({ host: "127.0.0.1", port: server.addr.port });
  assert.deepEqual(await worker.status(), status);
  assert.deepEqual(await worker.runManual([3, 4]), runManual);
  assert.deepEqual(await worker.sendSignal({ 3: 15, 4: 15 }), { "3": true, "4": false });
  assert.equal(await worker.poll(), undefined);
});

Deno.test("MasterClient sends each master request with its data", async () => {
  await using server = recordingServer();
  await using master = await MasterClient.connect({ host: "127.0.0.1", port: server.addr.port });
  await master.poke(["mail"]);
  await master.pause();
  await master.pause(["mail", "reports"]);
  await master.continue();
  await master.continue(["reports"]);
  await master.status();
  await master.status(true);
  await master.runManual([{ id: 3, target: "mail" }]);
  await master.sendSignal([{ id: 3, signal: 15, target: "mail" }]);
  await master.schedules();
  await master.scheduleRun("nightly");
  await master.schedulePause("nightly");
  await master.scheduleResume("nightly");
  assert.deepEqual(server.received, [
    ["poke", { targets: ["mail"] }],
    ["pause", {}],
    ["pause", { targets: ["mail", "reports"] }],
    ["continue", {}],
    ["continue", { targets: ["reports"] }],
    ["status", { poll_workers: false }],
    ["status", { poll_workers: true }],
    ["run-manual", { jobs: [{ id: 3, target: "mail" }] }],
    ["send-signal", { jobs: [{ id: 3, signal: 15, target: "mail" }] }],
    ["schedules", {}],
    ["schedule-run", { name: "nightly" }],
    ["schedule-pause", { name: "nightly" }],
    ["schedule-resume", { name: "nightly" }],
  ]);
});

Deno.test("MasterClient resolves with the master's response data", async () => {
  const status = {
    workers: [{ name: "w1", remoteAddr: "127.0.0.1", remotePort: 50000, targets: ["mail"] }],
    memoryUsage: { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 },
  };
  const signals = { "3": true, errors: { "4": "worker serving target 'x' not found" } };
  await using server = recordingServer({ status, "send-signal": signals });
  await using master = await MasterClient.connect({ host: "127.0.0.1", port: server.addr.port });
  assert.deepEqual(await master.status(), status);
  assert.deepEqual(
    await master.sendSignal([{ id: 3, signal: 15, target: "mail" }, {
      id: 4,
      signal: 15,
      target: "x",
    }]),
    signals,
  );
});

Deno.test("a client with the server's password stays authorised for later requests", async () => {
  await using server = recordingServer({}, { requiredPassword: "s3cret" });
  await using worker = await WorkerClient.connect({
    host: "127.0.0.1",
    port: server.addr.port,
    password: "s3cret",
  });
  await worker.poll();
  await worker.pause();
  assert.deepEqual(server.received.map(([type]) => type), ["poll", "pause"]);
});

Deno.test("a client without the server's password is refused", async () => {
  await using server = recordingServer({}, { requiredPassword: "s3cret" });
  await using master = await MasterClient.connect({ host: "127.0.0.1", port: server.addr.port });
  await assert.rejects(master.poke(["mail"]), new RemoteError("invalid password", "poke"));
  assert.deepEqual(server.received, []);
});

Deno.test("an error response rejects with RemoteError carrying the request type", async () => {
  await using server = serve({
    "add-target": () => Promise.reject(new Error("target 'mail' already added")),
  });
  await using worker = await WorkerClient.connect({ host: "127.0.0.1", port: server.addr.port });
  const error = await worker.addTarget("mail", 1).then(
    () => assert.fail("expected an error"),
    (e) => e,
  );
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, "target 'mail' already added");
  assert.equal(error.requestType, "add-target");
});

Deno.test("the timeout option limits how long each request waits", async () => {
  let release!: () => void;
  const never = new Promise<void>((resolve) => release = resolve);
  await using server = serve({ "run-manual": () => never });
  await using worker = await WorkerClient.connect({
    host: "127.0.0.1",
    port: server.addr.port,
    timeout: 0.05,
  });
  await assert.rejects(worker.runManual([1]), RequestTimeoutError);
  release();
});

Deno.test("connecting to a port with no server throws ConnectError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  await assert.rejects(WorkerClient.connect({ host: "127.0.0.1", port }), ConnectError);
  await assert.rejects(MasterClient.connect({ host: "127.0.0.1", port }), ConnectError);
});

Deno.test("disposing a client closes its connection", async () => {
  await using server = recordingServer();
  const worker = await WorkerClient.connect({ host: "127.0.0.1", port: server.addr.port });
  await worker.poll();
  await worker[Symbol.asyncDispose]();
  const connection = worker.requester;
  assert.ok(connection instanceof Connection);
  await connection.closed;
  assert.equal(connection.isClosed, true);
});

Deno.test("both clients send the operators' requests with the same data", async () => {
  await using server = recordingServer({ stats: { targets: {}, time: 1_800_000_000 } });
  const address = { host: "127.0.0.1", port: server.addr.port };
  await using worker = await WorkerClient.connect(address);
  await using master = await MasterClient.connect(address);
  for (const client of [worker, master]) {
    await client.listJobs();
    await client.listJobs({ target: "mail", status: "done", limit: 5 });
    await client.showJob(7);
    assert.deepEqual(await client.jobStats(), { targets: {}, time: 1_800_000_000 });
    await client.retryJobs([7, 8]);
    await client.addJobs({ target: "mail", count: 2, values: {} });
    await client.addJobs({ target: "mail", count: 1, runAt: 1_800_000_600, values: { p: 1 } });
  }
  const once: [string, unknown][] = [
    ["jobs", {}],
    ["jobs", { target: "mail", status: "done", limit: 5 }],
    ["job", { id: 7 }],
    ["stats", {}],
    ["retry", { ids: [7, 8] }],
    ["add", { target: "mail", count: 2 }],
    ["add", { target: "mail", count: 1, run_at: 1_800_000_600, set: { p: 1 } }],
  ];
  assert.deepEqual(server.received, [...once, ...once]);
});
