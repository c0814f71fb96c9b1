/**
 * Jobs and their process groups, through a real `jobd` on a real MariaDB
 * (SPEC D1 "process groups"): a child a launcher leaves behind holds no slot
 * and no row, send-signal and shutdown reach every process of a job.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { freePort, startDaemon, waitFor, workerClient } from "./helpers/processes.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

/** Whether process `pid` runs (a zombie counts as gone). */
async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The pid a job script wrote to `$JOB_DIR/NAME.pid` (see {@linkcode TELL_PID}). */
function writtenPid(jobDir: string, name: string | number): Promise<number> {
  return waitFor(`${name}.pid`, async () => {
    const text = await Deno.readTextFile(`${jobDir}/${name}.pid`).catch(() => "");
    return text.endsWith("\n") ? Number(text) : undefined;
  });
}

/** Shell text writing the last background pid to `$JOB_DIR/$id.pid` (`$id`: the job id). */
const TELL_PID = `echo $! > "$JOB_DIR/$id.tmp" && mv "$JOB_DIR/$id.tmp" "$JOB_DIR/$id.pid"`;

Deno.test("a launcher that leaves a child running ends done with its own status at once and frees its slot", async () => {
  await using db = await openTestDatabase();
  // The launcher of the issue: it exits 0 at once, its `sleep` would hold the pipes for 300 s.
  await using worker = await startWorker(db, {
    targets: { t1: 1 },
    config: { launcher: "sh -c 'sleep 300 & echo started' {id}" },
  });
  const ids = await db.insertJobs("t1", 3);
  const started = Date.now();
  await worker.client.poll();
  // One slot: the three run one after another only if each frees it.
  const rows = await waitForDone(db, ids, 30);
  assert.ok(Date.now() - started < 20_000, "no job waited for its child");
  for (const row of rows) {
    assert.deepEqual(
      [row.result, row.return_code, row.sig, row.stdout, row.stderr],
      ["ok", 0, null, "started\n", ""],
    );
  }
});

Deno.test("what a launcher leaves running in its group is ended when the launcher exits", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const [id] = await db.insertJobs("t1", 1);
  // The launcher exits at once; its child holds the pipes and would run 300 s.
  await worker.script(id, `sleep 300 & ${TELL_PID}; echo launched`);
  await worker.client.poll();
  const child = await writtenPid(worker.jobDir, id);
  const [row] = await waitForDone(db, [id], 30);
  assert.deepEqual([row.result, row.return_code, row.stdout], ["ok", 0, "launched\n"]);
  await waitFor("the child to be ended", async () => !(await processAlive(child)));
  // The worker itself runs on.
  assert.ok((await worker.client.status()).targets.t1);
});

Deno.test("send-signal reaches every process of a job: the launcher and its children end", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db);
  const [id] = await db.insertJobs("t1", 1);
  await worker.script(id, `sleep 300 & ${TELL_PID}; wait`);
  await worker.client.poll();
  const child = await writtenPid(worker.jobDir, id);
  assert.deepEqual(await worker.client.sendSignal({ [id]: "TERM" }), { [id]: true });
  const [row] = await waitForDone(db, [id], 20);
  assert.deepEqual([row.result, row.return_code, row.sig], ["fail", null, "SIGTERM"]);
  await waitFor("the child to end", async () => !await processAlive(child), 10);
});

Deno.test("a SIGTERM shutdown ends a job's whole group after shutdown_timeout and stores its result", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { shutdown_timeout: 1 } });
  const [id] = await db.insertJobs("t1", 1);
  // Only the launcher waits; its child would hold the pipes after the launcher is killed.
  await worker.script(id, `sleep 300 & ${TELL_PID}; wait`);
  await worker.client.poll();
  const child = await writtenPid(worker.jobDir, id);
  const stopping = Date.now();
  worker.process.kill("SIGTERM");
  const { status } = await worker.process.finished();
  const took = Date.now() - stopping;
  assert.equal(status.code, 0);
  assert.ok(took < 10_000, `shutdown took ${took} ms; the old worker waited 16 s`);
  const [row] = await db.rows([id]);
  assert.deepEqual([row.status, row.result, row.sig], ["done", "fail", "SIGTERM"]);
  assert.equal(await processAlive(child), false);
});

Deno.test("a shutdown right after a job ended kills what its launcher left behind, SIGTERM ignored", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db);
  const [id] = await db.insertJobs("t1", 1);
  // The child closes the job's pipes and ignores SIGTERM: the job ends at once.
  await worker.script(
    id,
    `(trap '' TERM; : > "$JOB_DIR/$id.ready"; exec sleep 300 >/dev/null 2>&1) & ${TELL_PID}; ` +
      `while [ ! -e "$JOB_DIR/$id.ready" ]; do sleep 0.01; done`,
  );
  await worker.client.poll();
  const child = await writtenPid(worker.jobDir, id);
  await waitForDone(db, [id], 20);
  worker.process.kill("SIGTERM");
  assert.equal((await worker.process.finished()).status.code, 0);
  // The SIGKILL went out before the worker exited; its delivery may take a moment.
  await waitFor(
    "the child not left running past the worker",
    async () => !(await processAlive(child)),
    10,
  );
});

Deno.test("without setsid on its PATH the worker says so and still starts each job in a group of its own", async () => {
  await using db = await openTestDatabase();
  const port = freePort();
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  // No directory with setsid (nor any other program) on the worker's PATH:
  // the test launcher and its script need only the shell's builtins.
  const { process } = await startDaemon("jobd", workerConfig(db, port, jobDir), {
    port,
    env: { PATH: "/nonexistent" },
  });
  await using _process = process;
  const client = await workerClient(port);
  try {
    assert.match(process.stderrSoFar, /No 'setsid' program on the PATH/);
    const [id] = await db.insertJobs("t1", 1);
    // Field 5 of /proc/PID/stat is the process group.
    await Deno.writeTextFile(
      `${jobDir}/${id}.sh`,
      `read -r stat < /proc/$$/stat; set -- \${stat##*) }; echo "$$ $3"`,
    );
    await client.poll();
    const [row] = await waitForDone(db, [id], 30);
    const [pid, group] = (row.stdout ?? "").trim().split(" ");
    assert.equal(row.result, "ok", row.stderr ?? "");
    assert.equal(group, pid, "the launcher leads its own group");
  } finally {
    client.close();
    await Deno.remove(jobDir, { recursive: true });
  }
});
