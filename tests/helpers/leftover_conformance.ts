/**
 * Jobs a killed worker left running, as its restart ends them before their
 * rows are recovered, defined once and registered for each storage
 * (tests/worker_leftovers_test.ts).
 */

import assert from "node:assert/strict";
import type { TestJobsTable } from "./jobs_table.ts";
import { processAlive, waitFor } from "./processes.ts";
import { startWorker, type TestWorker, waitForDone } from "./worker.ts";

/** Options of the tables the tests open. */
export interface LeftoverTableOptions {
  withWorkerColumn: boolean;
  withTimeColumns?: boolean;
}

/**
 * The job of these tests, for tests/fixtures/job.sh to source. Its first run
 * writes its pid (its process group's id) and its jobd variables to
 * `$JOB_DIR/pid.ID` and `$JOB_DIR/env.ID`, then runs until it is ended; it
 * traps nothing. A later run writes whether that first process was still
 * running when it started (`running` or `gone`) to `$JOB_DIR/old.ID`.
 */
const JOB_SCRIPT = `
if [ -e "$JOB_DIR/pid.$id" ]; then
  old=$(cat "$JOB_DIR/pid.$id")
  if kill -0 "$old" 2>/dev/null && ! grep -q ') Z ' "/proc/$old/stat" 2>/dev/null; then
    echo running
  else
    echo gone
  fi > "$JOB_DIR/old.$id"
else
  printf '%s %s %s\\n' "$JOBD_WORKER" "$JOBD_JOB_ID" "$JOBD_TABLE" > "$JOB_DIR/env.$id"
  echo $$ > "$JOB_DIR/pid.$id.new" && mv "$JOB_DIR/pid.$id.new" "$JOB_DIR/pid.$id"
  sleep 300
fi
`;

/** The pid of job `id`'s first run, once it runs. */
function firstRunPid(jobDir: string, id: number): Promise<number> {
  return waitFor(`job ${id} to run`, async () => {
    const text = await Deno.readTextFile(`${jobDir}/pid.${id}`).catch(() => "");
    return Number(text.trim()) || undefined;
  });
}

/** Kills what may be left of the process group `pgid` (test clean-up). */
function killGroup(pgid: number | undefined): void {
  if (pgid === undefined || pgid <= 1) return;
  try {
    Deno.kill(-pgid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** SIGKILLs a worker and waits for its exit. */
async function killWorker(worker: TestWorker): Promise<void> {
  worker.process.kill("SIGKILL");
  await worker.process.status;
}

/** Registers the tests, their names starting with `prefix`. */
export function defineLeftoverConformance(
  prefix: string,
  openTable: (options: LeftoverTableOptions) => Promise<TestJobsTable>,
): void {
  const cases = [
    { how: "recover_running = requeue", config: { recover_running: "requeue" }, retry: false },
    { how: "a retry (attempts left)", config: { retry_delay: 1 }, retry: true },
  ];
  for (const { how, config, retry } of cases) {
    Deno.test(`${prefix}a job a killed worker left running is ended before ${how} starts it again`, async () => {
      await using db = await openTable({ withWorkerColumn: true, withTimeColumns: retry });
      const [id] = await db.insertJobs("t1", 1);
      if (retry) await db.setColumns([id], { max_attempts: 2 });
      const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
      let oldPid: number | undefined;
      try {
        {
          await using worker = await startWorker(db, { jobDir, config });
          await worker.script("default", JOB_SCRIPT);
          await worker.client.poll(["t1"]);
          oldPid = await firstRunPid(jobDir, id);
          await killWorker(worker);
        }
        assert.ok(await processAlive(oldPid), "the job outlives its killed worker");
        const [name, jobId] = (await Deno.readTextFile(`${jobDir}/env.${id}`)).split(" ");
        assert.deepEqual([name, jobId], ["test-worker", String(id)], "the job's variables");

        await using restarted = await startWorker(db, {
          jobDir,
          config: { ...config, poll_interval: 1 },
        });
        const [row] = await waitForDone(db, [id], 60);
        assert.equal(row.result, "ok", "the job ran again after the restart");
        assert.equal(
          await Deno.readTextFile(`${jobDir}/old.${id}`),
          "gone\n",
          "the first run was gone when the job started again",
        );
        assert.equal(await processAlive(oldPid), false);
        // The first run was ended (no `end` line); the second ran alone, to its end.
        assert.deepEqual(await restarted.events(), [`start ${id}`, `start ${id}`, `end ${id}`]);
        assert.match(
          restarted.process.stderrSoFar,
          new RegExp(`Job ${id} was left running by a killed worker \\(pid ${oldPid}\\)`),
        );
        if (retry) {
          assert.deepEqual(await db.readColumns([id], ["attempts"]), [{ id, attempts: 2 }]);
        }
      } finally {
        killGroup(oldPid);
        await Deno.remove(jobDir, { recursive: true });
      }
    });
  }

  Deno.test(`${prefix}a restarted worker leaves alone the jobs of another worker name and processes with another worker's variables`, async () => {
    await using db = await openTable({ withWorkerColumn: true });
    const [mine] = await db.insertJobs("t1", 1);
    const [theirs] = await db.insertJobs("t2", 1);
    const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
    const config = { recover_running: "requeue" };
    const pids: number[] = [];
    const lookalikes: Deno.ChildProcess[] = [];
    try {
      await using other = await startWorker(db, {
        targets: { t2: 1 },
        config: { ...config, name: "other-worker" },
      });
      await other.script("default", JOB_SCRIPT);
      await other.client.poll(["t2"]);
      pids.push(await firstRunPid(other.jobDir, theirs));
      {
        await using worker = await startWorker(db, { jobDir, config });
        await worker.script("default", JOB_SCRIPT);
        await worker.client.poll(["t1"]);
        pids.push(await firstRunPid(jobDir, mine));
        await killWorker(worker);
      }
      await killWorker(other);
      const table = (await Deno.readTextFile(`${jobDir}/env.${mine}`)).trimEnd().split(" ")
        .slice(2).join(" ");
      // Processes like this worker's job, but of another worker name or another table.
      for (
        const env of [
          { JOBD_WORKER: "test-worker2", JOBD_TABLE: table, JOBD_JOB_ID: String(mine) },
          { JOBD_WORKER: "test-worker", JOBD_TABLE: `${table}2`, JOBD_JOB_ID: String(mine) },
        ]
      ) {
        const child = new Deno.Command("setsid", {
          args: ["--", "sleep", "300"],
          env,
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        lookalikes.push(child);
        pids.push(child.pid);
      }
      const [theirPid, myPid] = pids;

      await using restarted = await startWorker(db, {
        jobDir,
        config: { ...config, poll_interval: 1 },
      });
      await waitForDone(db, [mine], 60);
      assert.equal(await Deno.readTextFile(`${jobDir}/old.${mine}`), "gone\n");
      assert.equal(await processAlive(myPid), false);
      assert.ok(await processAlive(theirPid), "the job of worker 'other-worker' still runs");
      for (const child of lookalikes) {
        assert.ok(await processAlive(child.pid), `process ${child.pid} left alone`);
      }
      assert.equal((await db.rows([theirs]))[0].status, "running");
      const log = restarted.process.stderrSoFar;
      assert.match(log, new RegExp(`Job ${mine} was left running by a killed worker`));
      assert.doesNotMatch(log, new RegExp(`Job ${theirs} was left running`));
    } finally {
      for (const pid of pids) killGroup(pid);
      for (const child of lookalikes) await child.status;
      await Deno.remove(jobDir, { recursive: true });
    }
  });
}
