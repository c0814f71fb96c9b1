/**
 * Nothing lost, nothing stuck, nothing run twice, through one fault after
 * another at fixed points: two workers share a table (with the `worker`
 * column) and a stream of short jobs while a worker is killed and restarted,
 * the database is killed and restarted on its data, frozen and let go, a
 * worker is shut down and restarted, and reloaded; a run-manual is in
 * flight when the database is killed.
 */

import assert from "node:assert/strict";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { startCounts } from "./helpers/launcher_events.ts";
import { waitFor } from "./helpers/processes.ts";
import { startWorker, type TestWorker } from "./helpers/worker.ts";

/** The recovery note of a job whose worker was killed while it ran (or was about to). */
const KILLED_NOTE = /the worker stopped while this job ran/;

Deno.test("chaos: jobs survive worker kills, a killed and a frozen database, shutdowns and reloads", async () => {
  await using db = await openTestDatabase({ privateServer: true, withWorkerColumn: true });
  const server = db.server!;
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-chaos-" });
  const workers = new Map<string, TestWorker>();
  /** The stderr of every worker process that ran. */
  const logs: string[] = [];
  const start = async (name: string) => {
    workers.set(
      name,
      await startWorker(db, {
        targets: { t1: 3 },
        jobDir,
        config: { name, poll_interval: 1, shutdown_timeout: 10, log_level_console: "info" },
      }),
    );
  };
  const stop = async (name: string, signal: "SIGKILL" | "SIGTERM") => {
    const worker = workers.get(name)!;
    workers.delete(name);
    worker.process.kill(signal);
    const { status, stderr } = await worker.process.finished();
    logs.push(stderr);
    await worker[Symbol.asyncDispose]();
    if (signal === "SIGTERM") assert.equal(status.code, 0, `${name} exits 0 after SIGTERM`);
  };
  const ids: number[] = [];
  /** Adds `count` jobs and waits until `started` of them have started. */
  const load = async (count: number, started: number) => {
    const before = startCounts(await events(jobDir)).size;
    ids.push(...await db.insertJobs("t1", count));
    await waitFor(
      `${started} more jobs started`,
      async () => startCounts(await events(jobDir)).size >= before + started,
      120,
    );
  };
  try {
    await Deno.writeTextFile(`${jobDir}/default.sh`, "sleep 0.$(( id % 3 ))\necho ran $id\n");
    await start("w1");
    await start("w2");

    await load(40, 10);
    await stop("w1", "SIGKILL");
    await start("w1");

    await load(40, 10);
    // A run-manual in flight: its slow job runs when the database is killed.
    const manual = await db.insertJobs("t1", 2, "manual");
    ids.push(...manual);
    await Deno.writeTextFile(`${jobDir}/${manual[0]}.sh`, "sleep 1\necho ran $id\n");
    const answer = workers.get("w2")!.client.runManual(manual);
    await waitFor("the slow run-manual job running", async () => {
      return (await events(jobDir)).includes(`start ${manual[0]}`);
    });
    Deno.kill(server.pid!, "SIGKILL");
    await server.stop();
    await server.start();
    // The test's own pool drops the connections the kill broke.
    await waitFor("the database answering the test", () => db.query("SELECT 1"));
    // Answered once the results are stored, the database back.
    const { jobs = {}, errors } = await answer;
    assert.equal(errors, undefined);
    for (const id of manual) assert.equal(jobs[id]?.stdout, `ran ${id}\n`);
    assert.deepEqual((await db.rows(manual)).map((row) => row.result), ["ok", "ok"]);

    await load(40, 10);
    Deno.kill(server.pid!, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 3000));
    Deno.kill(server.pid!, "SIGCONT");

    await load(40, 10);
    await stop("w2", "SIGTERM");
    workers.get("w1")!.process.kill("SIGHUP");
    await start("w2");

    await waitFor("every job final", () => allFinal(db, ids), 120);
    const rows = await db.rows();
    assert.equal(rows.length, ids.length, "no row lost or added");
    const lines = await events(jobDir);
    const starts = startCounts(lines);
    const ended = new Set(
      lines.filter((line) => line.startsWith("end ")).map((line) => Number(line.slice(4))),
    );
    for (const row of rows) {
      const what = `job ${row.id}: ${row.status} ${row.result} ${row.stderr}`;
      assert.equal(row.status, "done", what);
      assert.ok((starts.get(row.id) ?? 0) <= 1, `${what}: started at most once`);
      if (row.result === "ok") {
        assert.equal(starts.get(row.id), 1, `${what}: started`);
        assert.ok(ended.has(row.id), `${what}: ended`);
        assert.equal(row.stdout, `ran ${row.id}\n`, what);
      } else {
        // Only a job its worker was killed under fails here, and it says so.
        assert.match(row.stderr ?? "", KILLED_NOTE, what);
      }
    }
    const failed = rows.filter((row) => row.result !== "ok").length;
    assert.ok(failed <= 3, `${failed} failed: at most the killed worker's 3 slots`);
    logs.push(...[...workers.values()].map((worker) => worker.process.stderrSoFar));
    // The database's kill reached the workers: each name lock's connection was closed by it.
    assert.match(logs.join("\n"), /\[WRN\] .*Lost the lock on the worker name w[12] /);
    for (const text of logs) {
      assert.doesNotMatch(text, /\[ERR\]/);
      assert.ok(text.split("\n").filter((line) => /Lost the database/.test(line)).length <= 2);
    }
  } finally {
    for (const worker of workers.values()) await worker[Symbol.asyncDispose]();
    await Deno.remove(jobDir, { recursive: true });
  }
});

/** The launcher's events log (`start ID`, `end ID`). */
async function events(jobDir: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${jobDir}/events`).catch(() => "");
  return text.split("\n").filter(Boolean);
}

/** Whether every row of `ids` is `done`. */
async function allFinal(db: TestDatabase, ids: readonly number[]): Promise<boolean> {
  const [row] = await db.query(
    "SELECT COUNT(*) AS open FROM jobs WHERE id IN (?) AND status <> 'done'",
    [ids],
  );
  return Number(row.open) === 0;
}
