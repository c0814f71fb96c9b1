/**
 * Pokes through the master in this process, with scripted workers: which
 * workers a poke polls and with which targets, how pokes merge, and what
 * the master remembers of pokes nobody serves (and how little it logs).
 */

import assert from "node:assert/strict";
import {
  delay,
  ScriptedWorker,
  startMasterDaemon,
  until,
} from "../../tests/helpers/master_in_process.ts";
import { configureLogging } from "../log.ts";
import { MAX_REMEMBERED_TARGETS } from "./poke.ts";

Deno.test("a poke polls exactly the workers serving its targets, each with its share", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build", "mail"]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail", "video"]);
  await using w3 = await ScriptedWorker.register(master.daemon, "w3", ["video"]);
  await master.client.poke(["build", "mail"]);
  await until("the polls", () => w1.requests("poll").length + w2.requests("poll").length === 2);
  assert.deepEqual(w1.requests("poll"), [{ targets: ["build", "mail"] }]);
  assert.deepEqual(w2.requests("poll"), [{ targets: ["mail"] }]);
  assert.deepEqual(w3.requests("poll"), []);
});

Deno.test("a burst of pokes becomes one poll at once and one merged poll after the interval", async () => {
  await using master = await startMasterDaemon({ pokeThrottleInterval: 0.2 });
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["a", "b", "c"]);
  await Promise.all([
    master.client.poke(["a"]),
    master.client.poke(["b"]),
    master.client.poke(["a", "c"]),
    master.client.poke(["b"]),
  ]);
  await until("two polls", () => w1.requests("poll").length === 2);
  const [first, merged] = w1.requests("poll") as { targets: string[] }[];
  assert.deepEqual(first.targets, ["a"]);
  assert.deepEqual(merged.targets.toSorted(), ["a", "b", "c"]);
  await delay(400);
  assert.equal(w1.requests("poll").length, 2, "no third poll");
});

Deno.test("a poke for targets nobody serves reaches the first worker serving them, once", async () => {
  await using master = await startMasterDaemon();
  await master.client.poke(["build", "mail", "video"]);
  await until("the poke to be remembered", () => master.daemon.pokes.remembered.length === 3);
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["mail", "build", "other"]);
  await until("the remembered poll", () => w1.requests("poll").length === 1);
  assert.deepEqual(w1.requests("poll"), [{ targets: ["mail", "build"] }]);
  await using w2 = await ScriptedWorker.register(master.daemon, "w2", ["mail", "video"]);
  await until("the remembered poll", () => w2.requests("poll").length === 1);
  assert.deepEqual(w2.requests("poll"), [{ targets: ["video"] }]);
  assert.deepEqual(master.daemon.pokes.remembered, []);
});

Deno.test("a remembered poke is delivered when a worker adds the target and registers again", async () => {
  await using master = await startMasterDaemon();
  await using w1 = await ScriptedWorker.register(master.daemon, "w1", ["build"]);
  await master.client.poke(["mail"]);
  await until("the poke to be remembered", () => master.daemon.pokes.remembered.length === 1);
  await w1.connection.request("register-worker", { name: "w1", targets: ["build", "mail"] });
  await until("the remembered poll", () => w1.requests("poll").length === 1);
  assert.deepEqual(w1.requests("poll"), [{ targets: ["mail"] }]);
});

Deno.test("remembered pokes are bounded: the oldest unserved target is forgotten first", async () => {
  await using master = await startMasterDaemon();
  const targets = Array.from({ length: MAX_REMEMBERED_TARGETS + 2 }, (_, i) => `t${i}`);
  await master.client.poke(targets.slice(0, 2));
  await master.client.poke(targets.slice(2));
  await until(
    "the poke to be remembered",
    () => master.daemon.pokes.remembered.length === MAX_REMEMBERED_TARGETS,
  );
  const remembered = master.daemon.pokes.remembered;
  assert.equal(remembered[0], "t2", "t0 and t1 were forgotten");
  assert.equal(remembered.at(-1), targets.at(-1));
});

Deno.test("pokes of many unserved targets cost two log lines, not one per target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd_master_poke_" });
  try {
    const file = `${dir}/master.log`;
    {
      await using _logging = await configureLogging({
        consoleLevel: "error",
        fileLevel: "info",
        filePath: file,
      });
      await using master = await startMasterDaemon();
      const names = (from: number) =>
        Array.from({ length: MAX_REMEMBERED_TARGETS }, (_, i) => `t${from + i}`);
      const started = performance.now();
      await master.client.poke(names(0));
      await master.client.poke(names(MAX_REMEMBERED_TARGETS));
      assert.ok(performance.now() - started < 5000);
      assert.equal(master.daemon.pokes.remembered[0], `t${MAX_REMEMBERED_TARGETS}`);
    }
    const lines = (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
    const forgot = lines.filter((line) => line.includes("Forgot the remembered pokes"));
    assert.equal(forgot.length, 1, lines.slice(0, 5).join("\n"));
    assert.match(forgot[0], /of 10000 target\(s\) \(t0, t1, .*, t9 and 9990 more\)/);
    assert.ok(lines.length < 20, `${lines.length} log lines`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker that fails poll after poll is warned of once, the repeats at debug", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd_master_poke_" });
  try {
    const file = `${dir}/master.log`;
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "debug",
      filePath: file,
    });
    await using master = await startMasterDaemon({ pokeThrottleInterval: 0 });
    // Frozen: takes each poll and never answers, until its connection closes.
    const stuck = await ScriptedWorker.register(master.daemon, "stuck", ["build"], {
      "poll": () => new Promise(() => {}),
    });
    for (let count = 1; count <= 3; count++) {
      await master.client.poke(["build"]);
      await until(`poll ${count}`, () => stuck.requests("poll").length === count);
    }
    await stuck[Symbol.asyncDispose]();
    const failed = () =>
      Deno.readTextFileSync(file).split("\n").filter((line) =>
        line.includes("did not take the poll")
      );
    await until("the three failed polls logged", () => failed().length === 3);
    assert.deepEqual(failed().map((line) => line.match(/\[(WRN|DBG)\]/)?.[1]), [
      "WRN",
      "DBG",
      "DBG",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
