/**
 * Two workers with one `name` at a real master (`jobd-master` as a
 * subprocess). The default name is the host name, so two workers on one
 * host collide unless each sets one: the master pings the worker holding
 * the name, refuses the newcomer when it answers (the first one keeps
 * working) and gives the name to the newcomer when it does not (a
 * connection left over from before a restart).
 */

import assert from "node:assert/strict";
import type { MasterClient } from "../src/net/client.ts";
import { RemoteError } from "../src/net/errors.ts";
import { encodeRequest } from "../src/protocol/messages.ts";
import {
  freePort,
  iniText,
  masterClient,
  rawConnection,
  startDaemon,
  waitFor,
} from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker } from "./helpers/worker.ts";

/** A master subprocess on a free port and a client of it. */
async function startMaster() {
  const port = freePort();
  const { process } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port, ping_interval: 30, log_level_console: "debug" }),
    { port },
  );
  const client = await masterClient(port);
  return {
    process,
    port,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await process[Symbol.asyncDispose]();
    },
  };
}

/** The name and targets of each worker the master lists. */
async function listed(client: MasterClient): Promise<[string, string[]][]> {
  return (await client.status()).workers.map((worker) => [worker.name, worker.targets]);
}

Deno.test("a second worker with a registered name is refused while the first answers, and takes it when the first is gone", async () => {
  await using master = await startMaster();
  await using firstDb = await openTestSqliteDatabase();
  await using secondDb = await openTestSqliteDatabase();
  const linked = (targets: Record<string, number>) => ({
    targets,
    config: {
      name: "twin",
      master_host: "127.0.0.1",
      master_port: master.port,
      master_reconnect_timeout: 1,
    },
  });
  await using first = await startWorker(firstDb, linked({ a: 1 }));
  await waitFor("the first worker listed", async () => (await listed(master.client)).length);
  await using second = await startWorker(secondDb, linked({ b: 1 }));
  const refusal = await waitFor(
    "the second worker's refusal",
    () =>
      second.process.stderrSoFar.split("\n").find((line) =>
        line.includes("Cannot register with the master")
      ),
  );
  assert.match(
    refusal,
    /worker name 'twin' is already registered from 127\.0\.0\.1:\d+: give each worker its own 'name'/,
  );
  const warning = await waitFor(
    "the master's warning",
    () => master.process.stderrSoFar.split("\n").find((line) => line.includes("Refused the")),
  );
  assert.match(warning, /\[WRN\]/);
  assert.match(
    warning,
    /Refused the registration of worker twin from 127\.0\.0\.1:\d+: the worker registered under that name from 127\.0\.0\.1:\d+ still answers/,
  );
  // The second worker tries again every second, for ever: one warning, the repeats at debug.
  const again = await waitFor(
    "the master's second refusal",
    () => master.process.stderrSoFar.split("\n").find((line) => line.includes("2 refusals")),
  );
  assert.match(again, /\[DBG\].*Refused the registration of worker twin .*in a row/);
  assert.equal(
    master.process.stderrSoFar.split("\n").filter((line) =>
      line.includes("[WRN]") && line.includes("Refused the")
    ).length,
    1,
  );
  assert.deepEqual(await listed(master.client), [["twin", ["a"]]]);
  // The first worker keeps its place: the master's requests still reach it.
  assert.equal(
    (await master.client.status(true)).workers[0].workerStatus?.targets.a?.concurrency,
    1,
  );

  first.process.kill("SIGKILL");
  await first.process.finished();
  await waitFor(
    "the second worker to take the name",
    async () => JSON.stringify(await listed(master.client)) === JSON.stringify([["twin", ["b"]]]),
  );
});

Deno.test("a name held by a connection that answers no ping goes to the newcomer after the probe", async () => {
  await using master = await startMaster();
  // Registers, then never reads its socket again: a worker that froze or
  // whose host vanished without its connection closing.
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: master.port });
  try {
    await silent.write(
      encodeRequest({ no: 1, type: "register-worker", data: { name: "w1", targets: ["old"] } }),
    );
    await waitFor("the silent worker listed", async () => (await listed(master.client)).length);
    const fresh = await rawConnection(master.port);
    try {
      await fresh.request("register-worker", { name: "w1", targets: ["new"] });
      assert.deepEqual(await listed(master.client), [["w1", ["new"]]]);
      assert.match(
        await waitFor(
          "the master's warning",
          () =>
            master.process.stderrSoFar.split("\n").find((line) =>
              line.includes("registered again")
            ),
        ),
        /Worker w1 registered again from 127\.0\.0\.1:\d+; its previous connection from 127\.0\.0\.1:\d+ answered no ping in 3000 ms: closing it/,
      );
      // The newcomer answers pings: a third is refused.
      const third = await rawConnection(master.port);
      try {
        await assert.rejects(
          third.request("register-worker", { name: "w1", targets: ["third"] }),
          (error: unknown) =>
            error instanceof RemoteError && error.message.startsWith(
              `worker name 'w1' is already registered from 127.0.0.1:`,
            ),
        );
      } finally {
        third.close();
      }
      assert.deepEqual(await listed(master.client), [["w1", ["new"]]]);
    } finally {
      fresh.close();
    }
  } finally {
    silent.close();
  }
});
