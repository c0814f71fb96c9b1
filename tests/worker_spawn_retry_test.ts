/**
 * A job whose launcher cannot start for a reason that may pass (here: the
 * worker is out of file descriptors, its RLIMIT_NOFILE lowered with
 * `prlimit`) is not stored `fail`: it is started again, with growing delays,
 * once descriptors are free again.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { waitFor } from "./helpers/processes.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";
import { findProgram } from "../src/worker/process_group.ts";

const PRLIMIT = findProgram("prlimit");

/** Sets the soft limit of open files of process `pid` (`prlimit --nofile=SOFT:`). */
async function setOpenFilesLimit(pid: number, soft: number): Promise<void> {
  const output = await new Deno.Command(PRLIMIT ?? "prlimit", {
    args: ["--pid", String(pid), `--nofile=${soft}:`],
    stdin: "null",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

/** The soft limit of open files of process `pid`, from /proc. */
async function openFilesLimit(pid: number): Promise<number> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  const line = limits.split("\n").find((line) => line.startsWith("Max open files"));
  assert.ok(line !== undefined);
  return Number(line.split(/\s{2,}/)[1]);
}

/** How many files process `pid` has open. */
async function openFiles(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

Deno.test({
  name: "a job that cannot start for lack of file descriptors waits and starts once there are some",
  ignore: PRLIMIT === undefined || Deno.build.os !== "linux",
  async fn() {
    await using db = await openTestDatabase();
    await using worker = await startWorker(db, { targets: { t1: 1 } });
    const pid = worker.process.pid;
    const [id] = await db.insertJobs("t1", 1);
    await worker.client.status(); // every connection the test needs is open now
    const limit = await openFilesLimit(pid);
    // Room for a database connection or two, not for a launcher's stdin and two pipes.
    await setOpenFilesLimit(pid, await openFiles(pid) + 2);
    try {
      await worker.client.poll();
      const retrying = () =>
        /Cannot start job \d+ now, trying again/.test(worker.process.stderrSoFar);
      const [row] = await waitFor(
        "the worker to report the failed start, or the job to end",
        async () => {
          const rows = await db.rows([id]);
          return retrying() || rows[0].status === "done" ? rows : undefined;
        },
      );
      assert.equal(row.status, "running", `not stored as a failure: ${row.stderr}`);
      assert.match(worker.process.stderrSoFar, /Too many open files/);
    } finally {
      await setOpenFilesLimit(pid, limit);
    }
    const [row] = await waitForDone(db, [id], 30);
    assert.deepEqual([row.result, row.return_code, row.stdout], ["ok", 0, `out ${id}\n`]);
  },
});

Deno.test({
  name: "a job waiting to be started again goes back to waiting when the worker shuts down",
  ignore: PRLIMIT === undefined || Deno.build.os !== "linux",
  async fn() {
    await using db = await openTestDatabase({ withWorkerColumn: true });
    await using worker = await startWorker(db, { targets: { t1: 1 } });
    const pid = worker.process.pid;
    const [id] = await db.insertJobs("t1", 1);
    await worker.client.status();
    await setOpenFilesLimit(pid, await openFiles(pid) + 2);
    await worker.client.poll();
    await waitFor(
      "the worker to report the failed start",
      () => /Cannot start job \d+ now, trying again/.test(worker.process.stderrSoFar),
    );
    worker.process.kill("SIGTERM");
    const { status } = await worker.process.finished();
    assert.equal(status.code, 0);
    const [row] = await db.rows([id]);
    assert.deepEqual([row.status, row.worker, row.result], ["waiting", null, null]);
    assert.deepEqual(await worker.events(), [], "it never ran");
  },
});
