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
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import {
  sqliteWorkerConfig,
  startSqliteWorker,
  waitForSqliteDone,
} from "./helpers/sqlite_worker.ts";

/** The largest number of jobs running at once, from the launcher's events log. */
function peakConcurrency(events: string[]): number {
  let running = 0;
  let peak = 0;
  for (const line of events) {
    running += line.startsWith("start ") ? 1 : -1;
    peak = Math.max(peak, running);
  }
  return peak;
}

Deno.test("sqlite worker: a poll runs waiting jobs and stores result, exit code, output and times", async () => {
  await using db = await openTestSqliteDatabase();
  const ids = await db.insertJobs("t1", 3);
  const [other] = await db.insertJobs("t2", 1);
  const [manual] = await db.insertJobs("t1", 1, "manual");
  await using worker = await startSqliteWorker(db, { targets: { t1: 2, t2: 1 } });
  await worker.script(ids[1], 'echo "second"; echo "oops" >&2; exit 3');

  const before = Math.floor(Date.now() / 1000);
  await worker.client.poll(["t1"]);
  const rows = await waitForSqliteDone(db, ids);

  assert.deepEqual(
    rows.map((row) => [row.result, row.return_code, row.sig, row.stdout, row.stderr]),
    [
      ["ok", 0, null, `out ${ids[0]}\n`, `err ${ids[0]}\n`],
      ["fail", 3, null, "second\n", "oops\n"],
      ["ok", 0, null, `out ${ids[2]}\n`, `err ${ids[2]}\n`],
    ],
  );
  for (const row of rows) {
    assert.ok(row.time_started >= before - 1 && row.time_finished >= row.time_started);
  }
  const [untouchedOther, untouchedManual] = await db.rows([other, manual]);
  assert.equal(untouchedOther.status, "waiting", "a poll of t1 leaves t2 alone");
  assert.equal(untouchedManual.status, "manual", "a poll never claims manual rows");
});

Deno.test("sqlite worker: jobs inserted while others run are all run once, within the concurrency", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const first = await db.insertJobs("t1", 15);
  await using worker = await startSqliteWorker(db, {
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
  const rows = await waitForSqliteDone(db, [...first, ...later]);

  assert.ok(rows.every((row) => row.result === "ok" && row.worker === "test-worker"));
  const events = await worker.events();
  const starts = events.filter((line) => line.startsWith("start "));
  assert.equal(starts.length, 30);
  assert.equal(new Set(starts).size, 30, "no job ran twice");
  assert.equal(peakConcurrency(events), 3);
});

Deno.test("sqlite worker: run-manual reports each id: results, unknown ids, wrong status and unserved targets", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startSqliteWorker(db, { targets: { t1: 1 } });
  const [good, failing] = await db.insertJobs("t1", 2, "manual");
  const [waiting] = await db.insertJobs("t1", 1, "waiting");
  const [foreign] = await db.insertJobs("elsewhere", 1, "manual");
  await worker.script(failing, "echo bad >&2; exit 2");

  const result = await worker.client.runManual([good, failing, waiting, foreign, 999999]);

  assert.deepEqual(result.jobs, {
    [good]: {
      result: "ok",
      code: 0,
      signal: null,
      stdout: `out ${good}\n`,
      stderr: `err ${good}\n`,
    },
    [failing]: { result: "fail", code: 2, signal: null, stdout: "", stderr: "bad\n" },
  });
  assert.deepEqual(result.errors, {
    [waiting]: "status = waiting != manual",
    [foreign]: `target 'elsewhere' not found (job id=${foreign})`,
    999999: "job 999999 not found",
  });
  const rows = await db.rows([good, failing, waiting, foreign]);
  assert.deepEqual(rows.map((row) => row.status), ["done", "done", "waiting", "ignored"]);
  assert.equal(rows[0].result, "ok", "the reply follows the final row write");
});

Deno.test("sqlite worker: after SIGKILL, a restarted worker fails the running job and reruns the accepted one", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const [running] = await db.insertJobs("t1", 1);
  const [accepted] = await db.insertJobs("t2", 1);
  await using first = await startSqliteWorker(db, { targets: { t1: 1, t2: 1 } });
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

    await using second = await startSqliteWorker(db, {
      targets: { t1: 1, t2: 1 },
      jobDir: first.jobDir,
    });
    const [failed] = await waitForSqliteDone(db, [running]);
    assert.deepEqual(
      [failed.result, failed.return_code, failed.sig, failed.stderr],
      ["fail", null, null, WORKER_STOPPED_NOTE],
    );
    await second.client.poll(["t2"]);
    const [rerun] = await waitForSqliteDone(db, [accepted]);
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
  await using worker = await startSqliteWorker(db, { targets: { t1: 1 } });
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
      sqliteWorkerConfig(db, freePort(), dir, { config: { mysql_table: "queue" } }),
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
