/**
 * The worker (`jobd`) as a real subprocess on an SQLite file
 * (`storage = sqlite`): background and manual jobs through to their rows,
 * an application inserting while jobs run, concurrency, recovery after the
 * worker was killed, graceful shutdown, and a clear refusal to start
 * without the table.
 */

import assert from "node:assert/strict";
import { WORKER_STOPPED_NOTE } from "../src/worker/recovery.ts";
import { freePort, runProgram, waitFor } from "./helpers/processes.ts";
import { peakConcurrency } from "./helpers/launcher_events.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";
import { defineWorkerConformance } from "./helpers/worker_conformance.ts";
import { runWorkerToExit } from "./helpers/worker_exit.ts";

defineWorkerConformance("sqlite worker: ", () => openTestSqliteDatabase());

Deno.test("sqlite worker: jobs inserted while others run are all run once, within the concurrency", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const first = await db.insertJobs("t1", 15);
  await using worker = await startWorker(db, {
    targets: { t1: 3 },
    config: { mysql_fetch_limit: 2 },
  });
  await worker.script("default", "sleep 0.05");
  await worker.client.poll();
  // The application goes on inserting while the worker claims and writes results.
  const later: number[] = [];
  for (let round = 0; round < 5; round++) {
    later.push(...await db.insertJobs("t1", 3));
    await worker.client.poll();
  }
  const rows = await waitForDone(db, [...first, ...later]);

  assert.ok(rows.every((row) => row.result === "ok" && row.worker === "test-worker"));
  const events = await worker.events();
  const starts = events.filter((line) => line.startsWith("start "));
  assert.equal(starts.length, 30);
  assert.equal(new Set(starts).size, 30, "no job ran twice");
  assert.equal(peakConcurrency(events), 3);
});

Deno.test("sqlite worker: after SIGKILL, a restarted worker fails the running job and reruns the accepted one", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const [running] = await db.insertJobs("t1", 1);
  const [accepted] = await db.insertJobs("t2", 1);
  await using first = await startWorker(db, { targets: { t1: 1, t2: 1 } });
  const pidFile = `${first.jobDir}/sleeper.pid`;
  await first.script(running, `echo $$ > "${pidFile}"; exec sleep 60`);
  try {
    await first.client.poll(["t1"]);
    await first.client.pause(["t2"]);
    await first.client.poll(["t2"]);
    await waitFor("one job running, one accepted", async () => {
      const rows = await db.rows([running, accepted]);
      return rows[0].status === "running" && rows[1].status === "accepted";
    });
    await waitFor("the job's pid", () => Deno.readTextFile(pidFile));

    first.process.kill("SIGKILL");
    assert.equal((await first.process.status).signal, "SIGKILL");
    assert.deepEqual((await db.rows([running, accepted])).map((row) => row.status), [
      "running",
      "accepted",
    ]);

    await using second = await startWorker(db, {
      targets: { t1: 1, t2: 1 },
      jobDir: first.jobDir,
    });
    const [failed] = await waitForDone(db, [running]);
    assert.deepEqual(
      [failed.result, failed.return_code, failed.sig, failed.stderr],
      ["fail", null, null, WORKER_STOPPED_NOTE],
    );
    await second.client.poll(["t2"]);
    const [rerun] = await waitForDone(db, [accepted]);
    assert.deepEqual([rerun.result, rerun.stdout, rerun.worker], [
      "ok",
      `out ${accepted}\n`,
      "test-worker",
    ]);
    const starts = (await second.events()).filter((line) => line.startsWith("start "));
    assert.deepEqual(
      starts,
      [`start ${running}`, `start ${accepted}`],
      "the running job never ran twice",
    );
  } finally {
    // The killed worker's job lives on as an orphan: end it.
    const pid = Number(await Deno.readTextFile(pidFile).catch(() => ""));
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});

Deno.test("sqlite worker: SIGTERM lets the running job finish, stores it and exits 0", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const [id] = await db.insertJobs("t1", 1);
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  await worker.script(id, "sleep 0.5; echo finished");
  await worker.client.poll();
  await waitFor("the job to run", async () => (await db.rows([id]))[0].status === "running");

  worker.process.kill("SIGTERM");
  const { status } = await worker.process.finished();

  assert.equal(status.code, 0);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.stdout], ["done", "ok", "finished\n"]);
});

Deno.test("sqlite worker: a missing table stops the worker with a message naming the file and the table", async () => {
  await using db = await openTestSqliteDatabase();
  const dir = await Deno.makeTempDir();
  try {
    const configPath = `${dir}/jobd.conf`;
    await Deno.writeTextFile(
      configPath,
      workerConfig(db, freePort(), dir, { config: { mysql_table: "queue" } }),
    );
    const { code, stderr } = await runProgram("jobd", ["--config", configPath]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(
        `Cannot use the table 'queue' of SQLite file '${db.path}': it does not exist ` +
          "\\(create it with examples/schema\\.sqlite\\.sql\\)",
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite worker: a port another process holds stops the worker, saying which key and file to change", async () => {
  await using db = await openTestSqliteDatabase();
  const dir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const held = busy.addr.port;
    const cases = [
      { key: "port", config: { port: held }, address: `on 127.0.0.1:${held}` },
      {
        key: "http_port",
        config: { http_host: "127.0.0.1", http_port: held },
        address: `for HTTP on 127.0.0.1:${held}`,
      },
    ];
    for (const { key, config, address } of cases) {
      const configPath = `${dir}/jobd.conf`;
      await Deno.writeTextFile(configPath, workerConfig(db, freePort(), dir, { config }));
      const { code, stderr } = await runWorkerToExit(configPath);
      assert.equal(code, 1, stderr);
      const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(
        stderr,
        new RegExp(
          `Cannot start: Cannot listen ${escaped(address)}: .*; another jobd running ` +
            `there\\? Stop it, or choose another port with '${key}' in ${escaped(configPath)}`,
        ),
      );
    }
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite worker: a delayed row whose time_run_at is no unix time runs at once, with a warning naming it", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  const [id] = await db.insertJobs("t1", 1, "delayed");
  await db.query("UPDATE jobs SET time_run_at = 'tomorrow' WHERE id = ?", id);
  // No poll: the start-up count finds it due, and the timer polls its target.
  await using worker = await startWorker(db);
  const [row] = await waitForDone(db, [id], 30);
  assert.equal(row.result, "ok");
  assert.match(
    worker.process.stderrSoFar,
    new RegExp(`Job ${id}: its time_run_at "?tomorrow"? is not a unix time; running it now`),
  );
});

Deno.test("sqlite worker: a database file replaced under it is said at the next poll, without a health check", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startWorker(db);
  await worker.client.poll();
  // A deploy that puts a fresh copy in place: the worker keeps the file it opened.
  await Deno.copyFile(db.path, `${db.dir}/copy.db`);
  await Deno.rename(`${db.dir}/copy.db`, db.path);
  await worker.client.poll();
  await waitFor(
    "the warning",
    () => worker.process.stderrSoFar.includes(`The SQLite file '${db.path}' was replaced`),
  );
  assert.match(worker.process.stderrSoFar, /restart the worker/);
});
