/**
 * Deferred jobs, job timeouts and retries as a real worker runs them, defined
 * once and registered for each storage (tests/worker_time_test.ts) on a table
 * with the optional time columns of the schema files.
 */

import assert from "node:assert/strict";
import { timedOutNote } from "../../src/worker/job_timeout.ts";
import type { TestJobsTable } from "./jobs_table.ts";
import { startCounts } from "./launcher_events.ts";
import { freePort, runProgram, waitFor } from "./processes.ts";
import { startWorker, waitForDone, workerConfig } from "./worker.ts";

/** Unix seconds, now. */
function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** Options of the tables the tests open. */
export interface TimeTableOptions {
  withTimeColumns: boolean;
  withWorkerColumn?: boolean;
}

/** Registers the tests, their names starting with `prefix`. */
export function defineTimeWorkerConformance(
  prefix: string,
  openTable: (options: TimeTableOptions) => Promise<TestJobsTable>,
): void {
  const withTime = () => openTable({ withTimeColumns: true });

  Deno.test(`${prefix}a delayed job starts within a second of its time, without a poke; a later one waits`, async () => {
    await using db = await withTime();
    const runAt = now() + 2;
    const [soon, later] = await db.insertJobs("t1", 2, "delayed");
    await db.setColumns([soon], { time_run_at: runAt });
    await db.setColumns([later], { time_run_at: now() + 3600 });
    // The start-up poll finds both; nothing pokes the worker afterwards.
    await using worker = await startWorker(db, { config: { poll_interval: 600 } });

    const [row] = await waitForDone(db, [soon], 30);
    assert.ok(row.time_started >= runAt, `started at ${row.time_started}, due at ${runAt}`);
    assert.ok(row.time_started <= runAt + 2, `started at ${row.time_started}, due at ${runAt}`);
    assert.equal((await db.rows([later]))[0].status, "delayed");
    const status = await worker.client.status();
    assert.equal(status.targets.t1.delayed, 1, "the status counts the delayed row left");
  });

  Deno.test(`${prefix}with poll_interval = 0 the worker still starts delayed rows when due, and claims nothing else unasked`, async () => {
    await using db = await withTime();
    const [due, soon] = await db.insertJobs("t1", 2, "delayed");
    await db.setColumns([due], { time_run_at: now() - 10 });
    const soonAt = now() + 2;
    await db.setColumns([soon], { time_run_at: soonAt });
    const [unasked] = await db.insertJobs("t2", 1);
    await using worker = await startWorker(db, {
      targets: { t1: 2, t2: 1 },
      config: { poll_interval: 0 },
    });

    const rows = await waitForDone(db, [due, soon], 30);
    assert.ok(rows[1].time_started >= soonAt, `started at ${rows[1].time_started}, due ${soonAt}`);
    assert.equal((await db.rows([unasked]))[0].status, "waiting", "waiting rows wait for a poll");
    assert.deepEqual(startCounts(await worker.events()), new Map([[due, 1], [soon, 1]]));
  });

  Deno.test(`${prefix}status and jobctl list-targets show each target's delayed rows, timeout and retries`, async () => {
    await using db = await withTime();
    const later = await db.insertJobs("t1", 3, "delayed");
    await db.setColumns(later, { time_run_at: now() + 3600 });
    await using worker = await startWorker(db, {
      targets: { t1: 2, t2: 1 },
      config: { timeout: 30, max_attempts: 3, retry_delay: 10, retry_delay_max: 600 },
    });
    // Counted at start-up, without a poll (poll_interval = 0).
    const status = await waitFor("the start-up count", async () => {
      const answer = await worker.client.status();
      return answer.targets.t1.delayed === 3 ? answer : undefined;
    });
    assert.deepEqual(status.targets.t2, {
      paused: false,
      concurrency: 1,
      length: 0,
      delayed: 0,
      timeout: 30,
      maxAttempts: 3,
      retryDelay: 10,
      retryDelayMax: 600,
    });
    const listed = await runProgram("jobctl", ["--port", String(worker.port), "list-targets"]);
    assert.equal(listed.code, 0, listed.stderr);
    // WAITING counts the table's waiting rows; DELAYED the worker's count of delayed ones.
    assert.deepEqual(listed.stdout.split("\n").filter((line) => !line.startsWith("-")), [
      "TARGET | CONCURRENCY | LENGTH | PAUSED | WAITING | DELAYED | TIMEOUT | RETRIES",
      "t1     |           2 |      0 | no     |       0 |       3 | 30 s    | 3 attempts, 10-600 s apart",
      "t2     |           1 |      0 | no     |       0 |       0 | 30 s    | 3 attempts, 10-600 s apart",
      "",
    ]);
  });

  Deno.test(`${prefix}two workers serving a target run each due delayed row once`, async () => {
    await using db = await withTime();
    const ids = await db.insertJobs("t1", 12, "delayed");
    await db.setColumns(ids, { time_run_at: now() + 2 });
    const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
    try {
      const config = { poll_interval: 600 };
      await using first = await startWorker(db, { jobDir, config: { ...config, name: "w1" } });
      await using second = await startWorker(db, { jobDir, config: { ...config, name: "w2" } });
      await waitForDone(db, ids, 60);
      const counts = startCounts(await first.events());
      assert.deepEqual([...counts.keys()].sort((a, b) => a - b), ids);
      assert.ok([...counts.values()].every((count) => count === 1), "each ran once");
      assert.ok(second.process !== undefined);
    } finally {
      await Deno.remove(jobDir, { recursive: true }).catch(() => {});
    }
  });

  Deno.test(`${prefix}a job past its timeout gets SIGTERM, and SIGKILL after the grace if it ignores it`, async () => {
    await using db = await withTime();
    const [sleeper, stubborn, unlimited] = await db.insertJobs("t1", 3);
    await db.setColumns([unlimited], { timeout: 0 });
    await using worker = await startWorker(db, {
      targets: { t1: 3 },
      config: { timeout: 1, timeout_grace: 1 },
    });
    await worker.script(sleeper, "echo started; exec sleep 60");
    await worker.script(stubborn, "trap '' TERM; exec sleep 60");
    await worker.script(unlimited, "sleep 2; echo slept");
    const start = Date.now();
    await worker.client.poll(["t1"]);
    const rows = await waitForDone(db, [sleeper, stubborn, unlimited], 30);
    assert.ok(Date.now() - start < 10_000, "timed out jobs end within timeout + grace");
    const note = timedOutNote(1);
    assert.deepEqual(
      rows.map((row) => [row.result, row.return_code, row.sig, row.stderr?.endsWith(note)]),
      [
        ["fail", null, "SIGTERM", true],
        ["fail", null, "SIGKILL", true],
        ["ok", 0, null, false],
      ],
    );
    assert.equal(rows[0].stdout, "started\n", "the output before the timeout is kept");
  });

  Deno.test(`${prefix}pausing a target does not stop the clock of its running job`, async () => {
    await using db = await withTime();
    const [id] = await db.insertJobs("t1", 1);
    await using worker = await startWorker(db, { config: { timeout: 2, timeout_grace: 1 } });
    await worker.script(id, "exec sleep 60");
    await worker.client.poll(["t1"]);
    await waitFor("the job to run", async () => (await db.rows([id]))[0].status === "running");
    await worker.client.pause(["t1"]);
    const [row] = await waitForDone(db, [id], 30);
    assert.equal(row.sig, "SIGTERM");
    assert.ok(row.stderr?.endsWith(timedOutNote(2)), row.stderr ?? "");
  });

  Deno.test(`${prefix}a run-manual job past its row's timeout reports the timeout to its caller`, async () => {
    await using db = await withTime();
    const [id] = await db.insertJobs("t1", 1, "manual");
    await db.setColumns([id], { timeout: 1 });
    await using worker = await startWorker(db, { config: { timeout_grace: 1 } });
    await worker.script(id, "exec sleep 60");
    const result = await worker.client.runManual([id]);
    const report = result.jobs?.[id];
    assert.equal(report?.result, "fail");
    assert.equal(report?.signal, "SIGTERM");
    assert.ok(report?.stderr.endsWith(timedOutNote(1)), report?.stderr);
    assert.equal((await db.rows([id]))[0].status, "done", "run-manual jobs are not retried");
  });

  Deno.test(`${prefix}a failed job is retried with backoff until it succeeds or runs out of attempts`, async () => {
    await using db = await withTime();
    const [flaky, hopeless, permanent] = await db.insertJobs("t1", 3);
    await db.setColumns([hopeless], { max_attempts: 2 });
    await using worker = await startWorker(db, {
      targets: { t1: 3 },
      config: { max_attempts: 3, retry_delay: 2, retry_delay_max: 2, retry_exit_codes: "75" },
    });
    // Fails with 75 (retried) until its third start.
    await worker.script(
      flaky,
      `n=$(grep -c "^start $id$" "$JOB_DIR/events"); echo "try $n"; [ "$n" -ge 3 ] || exit 75`,
    );
    await worker.script(hopeless, "echo nope >&2; exit 75");
    await worker.script(permanent, "exit 2");
    const polled = now();
    await worker.client.poll(["t1"]);

    // Between attempts the row waits as 'delayed', with that attempt's result.
    const between = await waitFor("the first retry of the flaky job", async () => {
      const [row] = await db.rows([flaky]);
      return row.status === "delayed" ? row : undefined;
    });
    assert.deepEqual([between.result, between.return_code, between.stdout], [
      "fail",
      75,
      "try 1\n",
    ]);

    const rows = await waitForDone(db, [flaky, hopeless, permanent], 60);
    assert.deepEqual(
      rows.map((row) => [row.result, row.return_code, row.stdout, row.stderr]),
      [["ok", 0, "try 3\n", ""], ["fail", 75, "", "nope\n"], ["fail", 2, "", ""]],
    );
    assert.deepEqual(
      await db.readColumns([flaky, hopeless, permanent], ["attempts"]),
      [{ id: flaky, attempts: 3 }, { id: hopeless, attempts: 2 }, { id: permanent, attempts: 1 }],
    );
    // Two delays of 2 s ± 20 %, in whole seconds: at least a second each.
    assert.ok(rows[0].time_started >= polled + 2, "the third start comes after two delays");
    const status = await worker.client.status();
    assert.deepEqual(
      [status.targets.t1.maxAttempts, status.targets.t1.retryExitCodes],
      [3, [75]],
    );
  });

  Deno.test(`${prefix}a job stopped by send-signal is not retried`, async () => {
    await using db = await withTime();
    const [id] = await db.insertJobs("t1", 1);
    await using worker = await startWorker(db, { config: { max_attempts: 3, retry_delay: 1 } });
    await worker.script(id, "exec sleep 60");
    await worker.client.poll(["t1"]);
    await waitFor("the job to run", async () => (await db.rows([id]))[0].status === "running");
    await waitFor("the signal to arrive", async () => {
      const delivered = await worker.client.sendSignal({ [id]: "SIGTERM" });
      return delivered[id];
    });
    const [row] = await waitForDone(db, [id], 30);
    assert.equal(row.sig, "SIGTERM");
    assert.deepEqual(await db.readColumns([id], ["attempts"]), [{ id, attempts: 1 }]);
  });

  Deno.test(`${prefix}a job paused with SIGSTOP and continued with SIGCONT, through send-signal or from outside, is still retried`, async () => {
    await using db = await withTime();
    const [id] = await db.insertJobs("t1", 1);
    await using worker = await startWorker(db, { config: { max_attempts: 3, retry_delay: 1 } });
    // The first attempt fails once the test lets it go on; the second succeeds.
    await worker.script(
      id,
      `[ "$(grep -c "^start $id$" "$JOB_DIR/events")" -ge 2 ] && exit 0
       echo $$ > "$JOB_DIR/group"
       for i in $(seq 300); do [ -e "$JOB_DIR/go" ] && break; sleep 0.1; done; exit 1`,
    );
    await worker.client.poll(["t1"]);
    await waitFor("the job to run", async () => (await db.rows([id]))[0].status === "running");
    for (const signal of ["SIGSTOP", "SIGCONT"]) {
      await waitFor(`${signal} to arrive`, async () => {
        const delivered = await worker.client.sendSignal({ [id]: signal });
        return delivered[id];
      });
    }
    // The launcher leads the job's process group.
    const group = Number(
      await waitFor("the job's group", async () => {
        const text = await Deno.readTextFile(`${worker.jobDir}/group`).catch(() => "");
        return text.trim() || undefined;
      }),
    );
    Deno.kill(-group, "SIGSTOP");
    Deno.kill(-group, "SIGCONT");
    await Deno.writeTextFile(`${worker.jobDir}/go`, "");
    const [row] = await waitForDone(db, [id], 30);
    assert.equal(row.result, "ok", "the failed first attempt was retried");
    assert.deepEqual(await db.readColumns([id], ["attempts"]), [{ id, attempts: 2 }]);
  });

  Deno.test(`${prefix}retry keys with a table that lacks their columns stop the worker at start-up, naming them`, async () => {
    await using db = await openTable({ withTimeColumns: false });
    const dir = await Deno.makeTempDir({ prefix: "jobd-time-" });
    try {
      const configPath = `${dir}/jobd.conf`;
      await Deno.writeTextFile(
        configPath,
        workerConfig(db, freePort(), dir, { config: { max_attempts: 3 } }),
      );
      const { code, stderr } = await runProgram("jobd", ["--config", configPath]);
      assert.notEqual(code, 0);
      assert.match(stderr, /'max_attempts' \(3\) asks for retries/);
      // (SQLite's schema file allows 'delayed' even without the columns.)
      assert.match(stderr, /(status 'delayed', )?'time_run_at', 'attempts' in the table 'jobs'/);
      assert.match(stderr, /ADD COLUMN .time_run_at./);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${prefix}a job running when its worker was killed is retried after restart when attempts are left`, async () => {
    await using db = await openTable({ withTimeColumns: true, withWorkerColumn: true });
    const [once, twice] = await db.insertJobs("t1", 2);
    await db.setColumns([twice], { max_attempts: 2 });
    const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
    try {
      {
        await using worker = await startWorker(db, { jobDir, config: { retry_delay: 1 } });
        // The jobs run until the test lets them end (at most 30 s): both are seen running
        // however slowly this machine looks.
        await worker.script(
          "default",
          'for i in $(seq 300); do [ -e "$JOB_DIR/go" ] && break; sleep 0.1; done',
        );
        await worker.client.poll(["t1"]);
        await waitFor("both jobs running", async () => {
          const rows = await db.rows([once, twice]);
          return rows.every((row) => row.status === "running");
        });
        worker.process.kill("SIGKILL");
        await worker.process.status;
      }
      await Deno.writeTextFile(`${jobDir}/go`, "");
      await waitFor("orphaned launchers to end", async () => {
        const text = await Deno.readTextFile(`${jobDir}/events`);
        return text.includes(`end ${once}`) && text.includes(`end ${twice}`);
      });
      await Deno.remove(`${jobDir}/default.sh`);

      await using restarted = await startWorker(db, {
        jobDir,
        config: { retry_delay: 1, poll_interval: 600 },
      });
      // Recovery runs once the worker listens: wait for it rather than race it.
      const [failed] = await waitForDone(db, [once], 30);
      assert.deepEqual([failed.status, failed.result], ["done", "fail"]);
      const rows = await waitForDone(db, [twice], 30);
      assert.equal(rows[0].result, "ok", "the second attempt ran after the restart");
      assert.deepEqual(await db.readColumns([twice], ["attempts"]), [{ id: twice, attempts: 2 }]);
      assert.equal(startCounts(await restarted.events()).get(twice), 2);
    } finally {
      await Deno.remove(jobDir, { recursive: true });
    }
  });

  Deno.test(`${prefix}an old table runs as before, and the start-up log says how to turn the time features on`, async () => {
    await using db = await openTable({ withTimeColumns: false });
    const ids = await db.insertJobs("t1", 2);
    await using worker = await startWorker(db);
    await worker.client.poll(["t1"]);
    const rows = await waitForDone(db, ids);
    assert.deepEqual(rows.map((row) => row.result), ["ok", "ok"]);
    const status = await worker.client.status();
    assert.equal(status.targets.t1.delayed, undefined, "no delayed count without the columns");
    const log = worker.process.stderrSoFar;
    assert.match(log, /Time features on for the table 'jobs': job timeouts \(config\)/);
    assert.match(log, /to turn them on: ALTER TABLE .jobs. .*ADD COLUMN .time_run_at./);
  });

  Deno.test(`${prefix}SIGHUP applies new timeouts to jobs started afterwards`, async () => {
    await using db = await withTime();
    await using worker = await startWorker(db);
    const reloaded = workerConfig(db, worker.port, worker.jobDir, {
      config: { timeout: 1, timeout_grace: 1 },
    });
    await Deno.writeTextFile(worker.configPath, reloaded);
    worker.process.kill("SIGHUP");
    await waitFor("the reload", () => worker.process.stderrSoFar.includes("Config reloaded"));
    const [id] = await db.insertJobs("t1", 1);
    await worker.script(id, "exec sleep 60");
    await worker.client.poll(["t1"]);
    const [row] = await waitForDone(db, [id], 30);
    assert.equal(row.sig, "SIGTERM");
    assert.ok(row.stderr?.endsWith(timedOutNote(1)));
  });
}
