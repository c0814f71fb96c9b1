/**
 * The master's routing of jobs / job / stats / retry / add, in-process, with
 * stand-in workers on real connections that answer as each test says.
 * tests/jobctl_control_test.ts runs the same requests with real workers.
 */

import assert from "node:assert/strict";
import { Connection } from "../net/connection.ts";
import type { RequestData } from "../protocol/messages.ts";
import type { MasterDaemon } from "./daemon.ts";
import { remoteRefusal } from "../../tests/helpers/assertions.ts";
import { startMasterDaemon } from "../../tests/helpers/master_in_process.ts";

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

Deno.test("add and jobs with a target go to a worker serving it, and only there", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
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
    await remoteRefusal(master.client.request("add", { target: "nightly" })),
    "worker serving target 'nightly' not found",
  );
  assert.equal(
    await remoteRefusal(master.client.request("add", {})),
    "missing required field target",
  );
  assert.equal(
    await remoteRefusal(master.client.request("jobs", { limit: 0 })),
    "'limit' must be from 1 to 1000, got 0",
  );
});

Deno.test("a job the table has not is the answer, in the worker's words: no other worker is asked", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  const notFound = () => {
    throw new Error("job 5 not found");
  };
  await using first = await standIn(master.daemon, "a", ["build"], { job: notFound });
  await using second = await standIn(master.daemon, "b", ["build"], { job: notFound });
  assert.equal(await remoteRefusal(master.client.request("job", { id: 5 })), "job 5 not found");
  assert.deepEqual([first.types(), second.types()], [["job"], []]);
});

/** What an older worker answers to the requests it does not know. */
function unknownType(type: string): Answer {
  return () => {
    throw new Error(`unknown request type: '${type}'`);
  };
}

/** An older worker's answers: it knows none of the operators' requests. */
const OLDER: Record<string, Answer> = Object.fromEntries(
  ["jobs", "job", "stats", "retry", "add", "schedules"].map((type) => [type, unknownType(type)]),
);

Deno.test("an older worker that does not know a request is passed over, and not asked it again", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  // Both idle: the older one comes first by name.
  await using older = await standIn(master.daemon, "a-older", ["build"], OLDER);
  await using newer = await standIn(master.daemon, "b-newer", ["build"], {
    stats: () => ({ targets: {}, time: 1 }),
    jobs: () => ({ jobs: [] }),
    job: (data) => ({ id: data.id, target: "build", status: "done" }),
    retry: () => ({ retried: [3], targets: [] }),
    add: () => ({ ids: [7], status: "waiting" }),
  });
  assert.deepEqual(await master.client.request("stats"), { targets: {}, time: 1 });
  assert.deepEqual(await master.client.request("stats"), { targets: {}, time: 1 });
  assert.deepEqual(await master.client.request("jobs", { target: "build" }), { jobs: [] });
  assert.deepEqual(await master.client.request("job", { id: 3 }), {
    id: 3,
    target: "build",
    status: "done",
  });
  // An unknown type surely did nothing: rows are changed by the worker that knows how, once.
  assert.deepEqual(await master.client.request("retry", { ids: [3] }), {
    retried: [3],
    targets: [],
  });
  assert.deepEqual(await master.client.request("add", { target: "build" }), {
    ids: [7],
    status: "waiting",
  });
  assert.deepEqual(older.types(), ["stats", "jobs", "job", "retry", "add"]);
  assert.deepEqual(newer.types(), ["stats", "stats", "jobs", "job", "retry", "add"]);
});

Deno.test("with only older workers the error names each of them and why", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  await using older = await standIn(master.daemon, "a-older", ["build"], OLDER);
  const expected = "stats not done: worker 'a-older' refused: unknown request type: 'stats' " +
    "(an older worker)";
  assert.equal(await remoteRefusal(master.client.request("stats")), expected);
  // Not asked again on this connection; named all the same.
  assert.equal(
    await remoteRefusal(master.client.request("stats")),
    "stats not done: worker 'a-older' does not know 'stats' (an older worker)",
  );
  assert.deepEqual(older.types(), ["stats"]);
});

Deno.test("a reading request passes over a worker that refuses it (its database away) for one that answers", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  const away = () => {
    throw new Error("Cannot count the rows of table 'jobs': connect ECONNREFUSED 127.0.0.1:3306");
  };
  const answers: Record<string, Answer> = { stats: () => ({ targets: {}, time: 2 }) };
  await using down = await standIn(master.daemon, "a-down", ["build"], { stats: away, jobs: away });
  await using up = await standIn(master.daemon, "b-up", ["build"], answers);
  assert.deepEqual(await master.client.request("stats"), { targets: {}, time: 2 });
  assert.deepEqual([down.types(), up.types()], [["stats"], ["stats"]]);

  // When every worker refuses, the error names each worker tried and its reason.
  answers.stats = away;
  assert.equal(
    await remoteRefusal(master.client.request("stats")),
    "stats not done: " +
      "worker 'a-down' refused: Cannot count the rows of table 'jobs': connect ECONNREFUSED " +
      "127.0.0.1:3306; worker 'b-up' refused: Cannot count the rows of table 'jobs': connect " +
      "ECONNREFUSED 127.0.0.1:3306",
  );
});

Deno.test("add and retry are not sent to another worker after a refusal: it may come from half a change", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  const away = () => {
    throw new Error("Cannot write to table 'jobs': connection lost");
  };
  await using first = await standIn(master.daemon, "a", ["build"], { add: away, retry: away });
  await using second = await standIn(master.daemon, "b", ["build"], {});
  assert.equal(
    await remoteRefusal(master.client.request("add", { target: "build" })),
    "Cannot write to table 'jobs': connection lost",
  );
  assert.equal(
    await remoteRefusal(master.client.request("retry", { ids: [1] })),
    "Cannot write to table 'jobs': connection lost",
  );
  assert.deepEqual([first.types(), second.types()], [["add", "retry"], []]);
});

Deno.test("add is sent on only after the exact 'unknown request type' for add: another such text may come after rows were inserted", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  // A handler's own error that begins like an older worker's answer, naming another type.
  const halfDone = () => {
    throw new Error("unknown request type: 'notify' (after inserting the rows)");
  };
  await using first = await standIn(master.daemon, "a", ["build"], { add: halfDone });
  await using second = await standIn(master.daemon, "b", ["build"], {
    add: () => ({ ids: [7], status: "waiting" }),
  });
  assert.equal(
    await remoteRefusal(master.client.request("add", { target: "build" })),
    "unknown request type: 'notify' (after inserting the rows)",
  );
  assert.deepEqual([first.types(), second.types()], [["add"], []]);
});

Deno.test("asking one worker after another stays within request_timeout in all", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05, requestTimeout: 0.5 });
  await using silent = await standIn(master.daemon, "a-silent", ["build"], {
    stats: () => new Promise(() => {}),
  });
  await using other = await standIn(master.daemon, "b-other", ["build"], {});
  assert.equal(
    await remoteRefusal(master.client.request("stats")),
    "stats not done: worker 'a-silent' did not answer: Request 'stats' timed out: no response " +
      "within 0.5 s; worker 'b-other' not asked: no time left of 0.5 s",
  );
  assert.deepEqual([silent.types(), other.types()], [["stats"], []]);
});

Deno.test("requests for any worker pass over one that does not answer", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
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
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  assert.equal(
    await remoteRefusal(master.client.request("stats")),
    "stats not done: no worker is registered",
  );
});

Deno.test("retry pokes the targets of the rows it put back to waiting", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
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
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  await using gone = await standIn(master.daemon, "a-gone", ["build"], {
    add: (_, connection) => {
      connection.close();
      return new Promise(() => {});
    },
  });
  await using other = await standIn(master.daemon, "b-other", ["build"], {});
  assert.match(
    await remoteRefusal(master.client.request("add", { target: "build" })),
    /^add in doubt: worker 'a-gone' did not answer: .*; it may have been done \(see 'jobs'\)$/,
  );
  assert.deepEqual(gone.types(), ["add"]);
  assert.deepEqual(other.types(), []);
});

Deno.test("bad data is refused by the master before any worker is asked", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  await using worker = await standIn(master.daemon, "w", ["build"], {});
  assert.equal(await remoteRefusal(master.client.request("job", {})), "missing required field id");
  assert.equal(await remoteRefusal(master.client.request("retry", { ids: [] })), "ids are empty");
  assert.equal(
    await remoteRefusal(master.client.request("add", { target: "build", count: 5000 })),
    "'count' must be from 1 to 1000, got 5000",
  );
  assert.deepEqual(worker.types(), []);
});

Deno.test("the error naming each worker tried keeps 1,024 characters of each one's refusal", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.05 });
  const long = () => {
    throw new Error("x".repeat(100_000));
  };
  await using _first = await standIn(master.daemon, "a", ["build"], { stats: long });
  await using _second = await standIn(master.daemon, "b", ["build"], { stats: long });
  const text = await remoteRefusal(master.client.request("stats"));
  const parts = text.slice("stats not done: ".length).split("; ");
  assert.equal(parts.length, 2);
  for (const part of parts) {
    assert.match(part, /^worker '[ab]' refused: x+…$/);
    assert.equal(part.length, 1024 + 1);
  }
});
