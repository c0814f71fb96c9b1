/**
 * The master's routing of jobs / job / stats / retry / add, in-process, with
 * stand-in workers on real connections that answer as each test says.
 * tests/jobctl_control_test.ts runs the same requests with real workers.
 */

import assert from "node:assert/strict";
import { MasterClient } from "../net/client.ts";
import { Connection } from "../net/connection.ts";
import { RemoteError } from "../net/errors.ts";
import type { RequestData } from "../protocol/messages.ts";
import { MasterDaemon } from "./daemon.ts";

type Answer = (data: RequestData, connection: Connection) => unknown;

/** A stand-in worker: registers, records what it is asked, answers with `answers`. */
async function standIn(
  master: MasterDaemon,
  name: string,
  targets: string[],
  answers: Record<string, Answer>,
) {
  const asked: { type: string; data: RequestData }[] = [];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: master.server.addr.port });
  const connection: Connection = new Connection(conn, {
    onRequest: (request) => {
      asked.push({ type: request.type, data: request.data });
      const answer = answers[request.type] ?? (() => "ok");
      return Promise.resolve(answer(request.data, connection));
    },
  });
  await connection.request("register-worker", { name, targets });
  return {
    asked,
    types: () => asked.map((request) => request.type),
    async [Symbol.asyncDispose]() {
      connection.close();
      await connection.closed;
    },
  };
}

async function startMaster() {
  const daemon = MasterDaemon.start({
    host: "127.0.0.1",
    port: 0,
    password: undefined,
    alwaysAllowLocalhost: false,
    pingInterval: 30,
    pokeThrottleInterval: 0.05,
    maxConnections: 1000,
    requestTimeout: 30,
    logLevelFile: "warn",
    logLevelConsole: "warn",
    logFormat: "text",
  });
  const client = new MasterClient(
    await Connection.connect("127.0.0.1", daemon.server.addr.port),
  );
  return {
    daemon,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await daemon.shutdown();
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => assert.fail("accepted"), (error: unknown) => error);
  assert.ok(error instanceof RemoteError, String(error));
  return error.message;
}

Deno.test("add and jobs with a target go to a worker serving it, and only there", async () => {
  await using master = await startMaster();
  await using build = await standIn(master.daemon, "b", ["build"], {
    add: (data) => ({ ids: [7], status: "waiting", echoed: data }),
    jobs: () => ({ jobs: [] }),
  });
  await using deploy = await standIn(master.daemon, "d", ["deploy"], {});
  const answer = await master.client.request("add", { target: "build", count: 1 });
  assert.deepEqual(answer, {
    ids: [7],
    status: "waiting",
    echoed: { target: "build", count: 1 },
  });
  assert.deepEqual(await master.client.request("jobs", { target: "build" }), { jobs: [] });
  assert.deepEqual(build.types(), ["add", "jobs"]);
  assert.deepEqual(deploy.types(), []);
  assert.equal(
    await refusal(master.client.request("add", { target: "nightly" })),
    "worker serving target 'nightly' not found",
  );
  assert.equal(
    await refusal(master.client.request("add", {})),
    "missing required field target",
  );
  assert.equal(
    await refusal(master.client.request("jobs", { limit: 0 })),
    "'limit' must be from 1 to 1000, got 0",
  );
});

Deno.test("a worker's refusal is the answer, in its own words", async () => {
  await using master = await startMaster();
  await using _worker = await standIn(master.daemon, "w", ["build"], {
    job: () => {
      throw new Error("job 5 not found");
    },
  });
  assert.equal(await refusal(master.client.request("job", { id: 5 })), "job 5 not found");
});

Deno.test("requests for any worker pass over one that does not answer", async () => {
  await using master = await startMaster();
  await using gone = await standIn(master.daemon, "a-gone", ["build"], {
    stats: (_, connection) => {
      connection.close();
      return new Promise(() => {});
    },
  });
  await using good = await standIn(master.daemon, "b-good", ["deploy"], {
    stats: () => ({ targets: {}, time: 1 }),
  });
  assert.deepEqual(await master.client.request("stats"), { targets: {}, time: 1 });
  assert.deepEqual(gone.types(), ["stats"]);
  assert.deepEqual(good.types(), ["stats"]);
});

Deno.test("without workers, requests for any worker say none is registered", async () => {
  await using master = await startMaster();
  assert.equal(
    await refusal(master.client.request("stats")),
    "stats not done: no worker is registered",
  );
});

Deno.test("retry pokes the targets of the rows it put back to waiting", async () => {
  await using master = await startMaster();
  await using retrying = await standIn(master.daemon, "a", ["build"], {
    retry: () => ({ retried: [3, 4], targets: ["deploy"], errors: { 5: "job 5 not found" } }),
  });
  await using deploy = await standIn(master.daemon, "b", ["deploy"], {});
  // Both are idle: the first by name answers.
  const answer = await master.client.request("retry", { ids: [3, 4, 5] });
  assert.deepEqual(answer, {
    retried: [3, 4],
    targets: ["deploy"],
    errors: { 5: "job 5 not found" },
  });
  assert.deepEqual(retrying.types(), ["retry"]);
  const deadline = Date.now() + 5000;
  while (!deploy.types().includes("poll") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(deploy.asked, [{ type: "poll", data: { targets: ["deploy"] } }]);
});

Deno.test("add is sent once: a worker that does not answer may have inserted the rows", async () => {
  await using master = await startMaster();
  await using gone = await standIn(master.daemon, "a-gone", ["build"], {
    add: (_, connection) => {
      connection.close();
      return new Promise(() => {});
    },
  });
  await using other = await standIn(master.daemon, "b-other", ["build"], {});
  assert.match(
    await refusal(master.client.request("add", { target: "build" })),
    /^add in doubt: worker 'a-gone' did not answer: .*; it may have been done \(see 'jobs'\)$/,
  );
  assert.deepEqual(gone.types(), ["add"]);
  assert.deepEqual(other.types(), []);
});

Deno.test("bad data is refused by the master before any worker is asked", async () => {
  await using master = await startMaster();
  await using worker = await standIn(master.daemon, "w", ["build"], {});
  assert.equal(await refusal(master.client.request("job", {})), "missing required field id");
  assert.equal(await refusal(master.client.request("retry", { ids: [] })), "ids are empty");
  assert.equal(
    await refusal(master.client.request("add", { target: "build", count: 5000 })),
    "'count' must be from 1 to 1000, got 5000",
  );
  assert.deepEqual(worker.types(), []);
});
