/**
 * Nothing lost, nothing stuck: the worker killed and restarted, shut down
 * with SIGTERM, reloaded with SIGHUP, and the database restarted under load.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { startCounts } from "./helpers/launcher_events.ts";
import { waitFor } from "./helpers/processes.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

Deno.test("after SIGKILL, a restarted worker requeues unstarted jobs and fails the ones that ran", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  try {
    const running = await db.insertJobs("t1", 2);
    const accepted = await db.insertJobs("t2", 2);
    {
      await using worker = await startWorker(db, { targets: { t1: 2, t2: 2 }, jobDir });
      await worker.script("default", "sleep 1");
      await worker.client.pause(["t2"]);
      await worker.client.poll();
      await waitFor("jobs running and accepted", async () => {
        const rows = await db.rows([...running, ...accepted]);
        return rows.map((row) => row.status).join() === "running,running,accepted,accepted";
      });
      assert.deepEqual((await db.rows(running)).map((row) => row.worker), [
        "test-worker",
        "test-worker",
      ]);
      worker.process.kill("SIGKILL");
      await worker.process.status;
    }
    // The killed worker's launchers finish on their own; wait so the events log is complete.
    await waitFor("orphaned launchers to end", async () => {
      const text = await Deno.readTextFile(`${jobDir}/events`);
      return running.every((id) => text.includes(`end ${id}`));
    });
    await Deno.remove(`${jobDir}/default.sh`);

    await using restarted = await startWorker(db, { targets: { t1: 2, t2: 2 }, jobDir });
    // Recovery runs once the worker holds its name and listens.
    const failed = await waitForDone(db, running);
    for (const row of failed) {
      assert.equal(row.status, "done");
      assert.equal(row.result, "fail");
      assert.match(row.stderr ?? "", /the worker stopped while this job ran/);
    }
    assert.deepEqual((await db.rows(accepted)).map((row) => row.status), ["waiting", "waiting"]);
    await restarted.client.poll();
    const rerun = await waitForDone(db, accepted);
    assert.deepEqual(rerun.map((row) => row.result), ["ok", "ok"]);
    const counts = startCounts(await restarted.events());
    for (const id of [...running, ...accepted]) {
      assert.equal(counts.get(id), 1, `job ${id} started once`);
    }
  } finally {
    await Deno.remove(jobDir, { recursive: true });
  }
});

Deno.test("SIGTERM lets running jobs finish, releases queued jobs, and exits 0", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const [first, second] = await db.insertJobs("t1", 2);
  const [manual] = await db.insertJobs("t1", 1, "manual");
  await worker.script("default", "sleep 1; echo finished");
  await worker.client.poll();
  await waitFor(
    "the first job running",
    async () => (await db.rows([first]))[0].status === "running",
  );
  // A run-manual waits behind the running job (concurrency 1).
  const manualCall = worker.client.runManual([manual]).catch((error) => error);
  await waitFor(
    "the manual job queued",
    async () => (await db.rows([manual]))[0].status === "accepted",
  );
  worker.process.kill("SIGTERM");
  const { status } = await worker.process.finished();
  assert.equal(status.code, 0);
  const [done, released, manualReleased] = await db.rows([first, second, manual]);
  assert.deepEqual([done.status, done.result, done.stdout], ["done", "ok", "finished\n"]);
  assert.deepEqual([released.status, released.worker], ["waiting", null]);
  assert.equal(manualReleased.status, "manual", "a manual job goes back to manual");
  const reply = await manualCall;
  assert.ok(reply.errors?.[manual] || reply instanceof Error, "the run-manual caller hears of it");
});

Deno.test("SIGTERM kills a job that outlives shutdown_timeout and records it", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { shutdown_timeout: 1 } });
  const [id] = await db.insertJobs("t1", 1);
  await worker.script(id, "trap '' TERM; while :; do sleep 0.1; done");
  await worker.client.poll();
  await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");
  worker.process.kill("SIGTERM");
  const { status } = await worker.process.finished();
  assert.equal(status.code, 0);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.return_code, row.sig], [
    "done",
    "fail",
    null,
    "SIGKILL",
  ]);
});

Deno.test("a second SIGTERM after the shutdown's SIGKILL sends no SIGTERM again", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { shutdown_timeout: 0 } });
  const [id] = await db.insertJobs("t1", 1);
  const escaped = `${worker.jobDir}/escaped-${id}`;
  // A child of the job's group that its parent never reaps (a zombie: SIGKILL leaves it in
  // the group, so signals to the group still count as delivered), and that parent, in a
  // session of its own, holds the job's pipes: the job outlives the SIGKILL.
  await worker.script(
    id,
    `trap '' TERM; ( sleep 1000 & exec setsid sh -c 'echo $$ > "$0"; exec sleep 1000' ${escaped} ) & ` +
      "while :; do sleep 0.1; done",
  );
  try {
    await worker.client.poll();
    await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");
    worker.process.kill("SIGTERM");
    await waitFor(
      "the SIGKILL",
      () => worker.process.stderrSoFar.includes(`Sent SIGKILL to job ${id}`),
      60,
    );
    const { status } = await worker.process.stop(60);
    assert.equal(status.code, 0);
    assert.match(worker.process.stderr, /again: not waiting any longer/);
    const sent = worker.process.stderr.match(new RegExp(`Sent SIG\\w+ to job ${id}$`, "gm"));
    assert.deepEqual(sent, [`Sent SIGTERM to job ${id}`, `Sent SIGKILL to job ${id}`]);
  } finally {
    const pid = Number(await Deno.readTextFile(escaped).catch(() => ""));
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});

Deno.test("a second SIGTERM during shutdown sends running jobs SIGTERM at once, and the worker exits 0", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { shutdown_timeout: 3600 } });
  const [id] = await db.insertJobs("t1", 1);
  await worker.script(id, "trap 'echo told to stop; exit 3' TERM; while :; do sleep 0.1; done");
  await worker.client.poll();
  await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");
  worker.process.kill("SIGTERM");
  await waitFor("the shutdown begun", () => /received, shutting down/.test(worker.process.stderr));
  // The first signal gives the job its shutdown_timeout (an hour): it runs on.
  assert.equal((await db.rows([id]))[0].status, "running");
  // stop() sends the second SIGTERM; SIGKILL only if the worker still runs a minute later.
  const { status, forced } = await worker.process.stop(60);
  assert.equal(forced, false, "the worker exits without waiting out shutdown_timeout");
  assert.equal(status.code, 0);
  assert.match(worker.process.stderr, /again: not waiting any longer/);
  // The second signal's SIGTERM is the kill phase's: the job gets it (and the log names it) once.
  const sent = worker.process.stderr.match(new RegExp(`Sent SIGTERM to job ${id}$`, "gm"));
  assert.equal(sent?.length, 1, worker.process.stderr);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.return_code, row.stdout], [
    "done",
    "fail",
    3,
    "told to stop\n",
  ]);
});

Deno.test("SIGHUP adds targets and resizes them; a broken file keeps the running config", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const config = (targets: Record<string, number>) =>
    workerConfig(db, worker.port, worker.jobDir, { targets, config: { name: "test-worker" } });

  await Deno.writeTextFile(worker.configPath, config({ t1: 3, t2: 2 }));
  worker.process.kill("SIGHUP");
  await waitFor(
    "the reload",
    async () => Object.keys((await worker.client.status()).targets).length === 2,
  );
  const status = await worker.client.status();
  assert.equal(status.targets.t1.concurrency, 3);
  assert.equal(status.targets.t2.concurrency, 2);

  await Deno.writeTextFile(worker.configPath, "port = not-a-port\n");
  worker.process.kill("SIGHUP");
  await waitFor(
    "the reload error in the log",
    () => worker.process.stderrSoFar.includes("Config reload failed"),
  );
  assert.deepEqual(Object.keys((await worker.client.status()).targets), ["t1", "t2"]);

  await Deno.writeTextFile(worker.configPath, config({ t2: 2 }));
  worker.process.kill("SIGHUP");
  await waitFor("t1 removed", async () => !(await worker.client.status()).targets.t1);
  const ids = await db.insertJobs("t2", 2);
  await worker.client.poll();
  await waitForDone(db, ids);
});

Deno.test("a burst of 1,000 jobs survives two database restarts: every row done, each job run once", async () => {
  await using db = await openTestDatabase({ privateServer: true, withWorkerColumn: true });
  const ids = await db.insertJobs("t1", 1000);
  await using worker = await startWorker(db, {
    targets: { t1: 10 },
    config: { mysql_fetch_limit: 50 },
  });
  await worker.script("default", "sleep 0.01");
  await worker.client.poll();
  for (let restart = 1; restart <= 2; restart++) {
    await waitFor(
      `${restart * 300} jobs started`,
      async () => (await worker.events()).length >= restart * 600,
    );
    await db.server!.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await db.server!.start();
  }
  await waitForDone(db, ids, 180);
  const counts = startCounts(await worker.events());
  assert.equal(counts.size, 1000);
  assert.deepEqual([...new Set(counts.values())], [1], "no job ran twice");
  const [row] = await db.query(
    "SELECT COUNT(*) AS stuck FROM jobs WHERE status IN ('accepted', 'running')",
  );
  assert.equal(Number(row.stuck), 0);
});

Deno.test("SIGHUP applies a new poll_interval: a worker that only claimed when poked starts polling", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const ids = await db.insertJobs("t1", 2);
  await Deno.writeTextFile(
    worker.configPath,
    workerConfig(db, worker.port, worker.jobDir, {
      targets: { t1: 1 },
      config: { name: "test-worker", poll_interval: 1 },
    }),
  );
  worker.process.kill("SIGHUP");
  // Nobody polls: only the worker's own timer can claim these rows.
  await waitForDone(db, ids);
});
