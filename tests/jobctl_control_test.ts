/**
 * jobctl on the jobs table, as an operator runs it: `jobs`, `show`, `stats`,
 * `retry` and `add` against a real worker on a real MariaDB, and through a
 * real master; `list-targets` with the table's waiting rows; and jobctl's
 * manners (did you mean, `--json` errors, `--host host:port`, signal names,
 * `--timeout 0`). jobctl runs as a subprocess with the binary's permissions.
 */

import assert from "node:assert/strict";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { freePort, jobctl, type ProgramOutput, waitFor } from "./helpers/processes.ts";
import { startLinkedWorker, startMaster } from "./helpers/master.ts";
import { startWorker, type TestWorker, waitForDone } from "./helpers/worker.ts";
import { quoteIdentifier } from "../src/storage/mysql/identifier.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { assertExit } from "./helpers/assertions.ts";

/** The ids `add` printed: `Added 2 jobs of 'build' (waiting): 4 5`. */
function addedIds(output: ProgramOutput): number[] {
  assertExit(output, 0);
  const match = /^Added \d+ jobs? of '[^']+' \((waiting|delayed)[^)]*\): ([\d ]+)\n$/.exec(
    output.stdout,
  );
  assert.ok(match, output.stdout);
  return match[2].split(" ").map(Number);
}

/** A test table with an application column `priority`. */
async function tableWithPriority(): Promise<TestDatabase> {
  const db = await openTestDatabase({ withWorkerColumn: true });
  await db.query(
    `ALTER TABLE ${quoteIdentifier(db.table)} ADD COLUMN priority INT NOT NULL DEFAULT 0`,
  );
  return db;
}

/** How many times the launcher started job `id`. */
async function starts(worker: TestWorker, id: number): Promise<number> {
  return (await worker.events()).filter((line) => line === `start ${id}`).length;
}

Deno.test("jobctl reads and changes the table through a worker", async (t) => {
  await using db = await tableWithPriority();
  await using worker = await startWorker(db, { targets: { build: 2, deploy: 1 } });
  const ctl = (...args: string[]) => jobctl("--port", String(worker.port), ...args);
  let added: number[] = [];

  await t.step("add inserts rows with column values, prints their ids, and polls", async () => {
    added = addedIds(await ctl("add", "build", "--count", "2", "--set", "priority=5"));
    assert.equal(added.length, 2);
    const rows = await waitForDone(db, added);
    assert.deepEqual(rows.map((row) => row.result), ["ok", "ok"]);
    const [priority] = await db.query(
      `SELECT MIN(priority) AS low, MAX(priority) AS high FROM ${quoteIdentifier(db.table)}`,
    );
    assert.deepEqual([priority.low, priority.high], [5, 5]);
  });

  await t.step("jobs lists the rows newest first with their outcome", async () => {
    const output = await ctl("jobs");
    assertExit(output, 0);
    const lines = output.stdout.trimEnd().split("\n");
    assert.match(
      lines[0],
      /^ *ID \| TARGET \| STATUS \| RESULT \| CODE \| CREATED +\| STARTED +\| DURATION$/,
    );
    assert.match(lines[2], new RegExp(`^ *${added[1]} \\| build +\\| done +\\| ok +\\| +0 \\| `));
    assert.match(lines[3], new RegExp(`^ *${added[0]} \\| build `));
    assert.match(
      lines[2],
      /\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| +\d+s$/,
    );
    assert.equal(lines.length, 4);
  });

  await t.step("jobs says on stderr when the limit may have left rows out", async () => {
    // Two rows: the default limit (20) shows them all; --limit 2 may have cut the list.
    const all = await ctl("jobs");
    assertExit(all, 0);
    assert.equal(all.stderr, "");
    const cut = await ctl("jobs", "--limit", "2");
    assertExit(cut, 0);
    assert.equal(cut.stdout, all.stdout);
    assert.equal(
      cut.stderr,
      "jobctl: the newest 2 rows are shown (--limit 2); there may be more: give a larger " +
        "--limit (up to 1000) or narrow with --target, --status, --result\n",
    );
    const json = await ctl("--json", "jobs", "--limit", "1");
    assertExit(json, 0);
    assert.equal(JSON.parse(json.stdout).jobs.length, 1);
    assert.equal(json.stderr, "");
  });

  await t.step("show prints every column and the job's output", async () => {
    const output = await ctl("show", String(added[0]));
    assertExit(output, 0);
    assert.match(output.stdout, /^COLUMN +\| VALUE$/m);
    assert.match(output.stdout, /^status +\| done$/m);
    assert.match(output.stdout, /^priority +\| 5$/m);
    assert.match(output.stdout, /^time_started +\| \d+ \(\d{4}-\d\d-\d\d .* UTC\)$/m);
    assert.match(output.stdout, new RegExp(`^stdout:\nout ${added[0]}\n`, "m"));
    assert.match(output.stdout, new RegExp(`^stderr:\nerr ${added[0]}\n`, "m"));
    const json = JSON.parse((await ctl("--json", "show", String(added[0]))).stdout);
    assert.equal(json.job.stdout, `out ${added[0]}\n`);
    assert.equal(json.job.priority, 5);
  });

  let failed = 0;
  await t.step("stats counts the targets' rows, failures of the last hour among them", async () => {
    await worker.script("default", "echo broken >&2; exit 3");
    [failed] = addedIds(await ctl("add", "build"));
    await waitForDone(db, [failed]);
    await db.insertJobs("deploy", 3);
    const output = await ctl("stats");
    assertExit(output, 0);
    assert.match(
      output.stdout,
      /^TARGET \| WAITING \| DELAYED \| MANUAL \| ACCEPTED \| RUNNING \| OK 1H \| FAIL 1H \| TIMED OUT 1H \| OK 24H \| FAIL 24H \| OLDEST WAITING$/m,
    );
    assert.match(
      output.stdout,
      /^build +\| +0 \| +0 \| +0 \| +0 \| +0 \| +2 \| +1 \| +0 \| +2 \| +1 \| +-$/m,
    );
    assert.match(
      output.stdout,
      /^deploy +\| +3 \| +0 \| +0 \| +0 \| +0 \| +0 \| +0 \| +0 \| +0 \| +0 \| +\d+s$/m,
    );
    const json = JSON.parse((await ctl("--json", "stats")).stdout);
    assert.deepEqual(json.targets.build.lastHour, { ok: 2, fail: 1 });
    assert.equal(json.targets.deploy.waiting, 3);
    assert.ok(json.targets.deploy.oldestWaitingAge >= 0);
    const filtered = JSON.parse(
      (await ctl("--json", "jobs", "--target", "build", "--status", "done", "--limit", "1"))
        .stdout,
    );
    assert.deepEqual(filtered.jobs.map((job: { id: number }) => job.id), [failed]);
    assert.equal(filtered.jobs[0].code, 3);
    assert.equal(filtered.jobs[0].result, "fail");
  });

  await t.step("jobs --result picks the finished rows of one result", async () => {
    const failures = await ctl("jobs", "--result", "fail");
    assertExit(failures, 0);
    const lines = failures.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, failures.stdout);
    assert.match(lines[2], new RegExp(`^ *${failed} \\| build +\\| done +\\| fail +\\| +3 \\| `));
    const ok = JSON.parse((await ctl("--json", "jobs", "--result", "ok")).stdout);
    assert.deepEqual(ok.jobs.map((job: { id: number }) => job.id), [...added].reverse());
    const wrong = await ctl("jobs", "--result", "failed");
    assertExit(wrong, 2);
    assert.match(wrong.stderr, /^jobctl: invalid --result 'failed': expected one of ok, fail/);
  });

  await t.step(
    "list-targets shows the table's waiting rows beside what the worker holds",
    async () => {
      const output = await ctl("list-targets");
      assertExit(output, 0);
      assert.match(output.stdout, /^TARGET \| CONCURRENCY \| LENGTH \| PAUSED \| WAITING$/m);
      assert.match(output.stdout, /^deploy +\| +1 \| +0 \| no +\| +3$/m);
      const help = await ctl("list-targets", "--help");
      assertExit(help, 0);
      assert.match(help.stdout.replace(/\s+/g, " "), /LENGTH counts the jobs this worker holds/);
    },
  );

  await t.step(
    "retry runs a failed job again; rows not final are refused, each with why",
    async () => {
      await worker.script("default", "echo fixed");
      const output = await ctl("retry", String(failed));
      assertExit(output, 0);
      assert.match(output.stdout, new RegExp(`^ *${failed} \\| waiting again$`, "m"));
      await waitFor("the retried job to run again", async () => await starts(worker, failed) === 2);
      const [row] = await waitForDone(db, [failed]);
      assert.equal(row.result, "ok");
      assert.equal(row.stdout, "fixed\n");
      const [waiting] = await db.insertJobs("deploy", 1);
      const refused = await ctl("retry", String(failed), String(waiting), "999999");
      assertExit(refused, 1);
      assert.match(refused.stdout, new RegExp(`^ *${failed} \\| waiting again$`, "m"));
      assert.match(
        refused.stdout,
        new RegExp(
          `^ *${waiting} \\| refused: status = waiting is not final \\(done or ignored\\)$`,
          "m",
        ),
      );
      assert.match(refused.stdout, /^ *999999 \| refused: job 999999 not found$/m);
      assert.equal(refused.stderr, "jobctl: 2 of 3 jobs were not retried\n");
      const json = await ctl("--json", "retry", String(waiting));
      assertExit(json, 1);
      assert.deepEqual(JSON.parse(json.stdout), {
        retried: [],
        targets: [],
        errors: { [waiting]: "status = waiting is not final (done or ignored)" },
      });
      assert.deepEqual(JSON.parse(json.stderr), { error: "1 of 1 jobs were not retried" });
    },
  );

  await t.step("add refuses what the table cannot take, naming it", async () => {
    const column = await ctl("add", "build", "--set", "colour=red");
    assertExit(column, 1);
    assert.match(
      column.stderr,
      /refused 'add': Cannot add a job of target 'build' in table 'jobs'/,
    );
    assert.match(column.stderr, /it has no column 'colour'\n$/);
    const value = await ctl("add", "build", "--set", "priority=high");
    assert.match(value.stderr, /the value "high" of column 'priority' is not an integer/);
    const later = await ctl("add", "build", "--in", "10m");
    assertExit(later, 1);
    assert.match(later.stderr, /no column 'time_run_at', which delayed jobs need/);
    const unserved = await ctl("add", "nightly");
    assert.match(unserved.stderr, /refused 'add': invalid target 'nightly'\n$/);
  });

  await t.step("with --json an error is one JSON object on stderr", async () => {
    const output = await ctl("--json", "show", "999999");
    assertExit(output, 1);
    assert.equal(output.stdout, "");
    assert.deepEqual(JSON.parse(output.stderr), {
      error: `the worker at 127.0.0.1:${worker.port} refused 'show': job 999999 not found`,
    });
    const usage = await ctl("--json", "jobs", "--limit", "0");
    assertExit(usage, 2);
    assert.match(JSON.parse(usage.stderr).error, /^invalid --limit '0'/);
  });

  await t.step("--host takes host:port, and --timeout 0 waits for ever", async () => {
    const output = await jobctl("--host", `127.0.0.1:${worker.port}`, "--timeout", "0", "stats");
    assertExit(output, 0);
    assert.match(output.stdout, /^build /m);
  });
});

Deno.test("jobctl --master reaches the table through the workers", async (t) => {
  await using db = await tableWithPriority();
  await using master = await startMaster({ config: { poke_throttle_interval: 0.1 } });
  const masterPort = master.port;
  const ctl = (...args: string[]) => jobctl("--master", "--port", String(masterPort), ...args);

  await t.step("without a worker, the master says so", async () => {
    const output = await ctl("stats");
    assertExit(output, 1);
    assert.match(output.stderr, /refused 'stats': stats not done: no worker is registered\n$/);
  });

  await using worker = await startLinkedWorker(db, master, "w1", { build: 2 });

  let ids: number[] = [];
  await t.step("add goes to a worker serving the target, which runs the jobs", async () => {
    await worker.script("default", "exit 1");
    const added = await ctl("--json", "add", "build", "--count", "2");
    assertExit(added, 0);
    ids = JSON.parse(added.stdout).ids;
    assert.equal(ids.length, 2);
    const rows = await waitForDone(db, ids);
    assert.deepEqual(rows.map((row) => row.result), ["fail", "fail"]);
    const unserved = await ctl("add", "nightly");
    assertExit(unserved, 1);
    assert.match(unserved.stderr, /refused 'add': worker serving target 'nightly' not found\n$/);
  });

  await t.step("jobs, show and stats answer from a worker", async () => {
    const listed = JSON.parse((await ctl("--json", "jobs", "--target", "build")).stdout);
    assert.deepEqual(listed.jobs.map((job: { id: number }) => job.id), [...ids].reverse());
    const all = await ctl("jobs", "--status", "done");
    assertExit(all, 0);
    assert.match(
      all.stdout,
      new RegExp(`^ *${ids[0]} \\| build +\\| done +\\| fail +\\| +1 \\|`, "m"),
    );
    const shown = JSON.parse((await ctl("--json", "show", String(ids[0]))).stdout);
    assert.equal(shown.job.result, "fail");
    const stats = JSON.parse((await ctl("--json", "stats")).stdout);
    assert.deepEqual(stats.targets.build.lastHour, { ok: 0, fail: 2 });
    const failures = JSON.parse((await ctl("--json", "jobs", "--result", "fail")).stdout);
    assert.deepEqual(failures.jobs.map((job: { id: number }) => job.id), [...ids].reverse());
    const none = JSON.parse((await ctl("--json", "jobs", "--result", "ok")).stdout);
    assert.deepEqual(none.jobs, []);
    const unserved = await ctl("jobs", "--target", "nightly");
    assert.match(unserved.stderr, /worker serving target 'nightly' not found\n$/);
  });

  await t.step("retry puts the rows back and the workers run them again", async () => {
    await worker.script("default", "exit 0");
    const output = await ctl("--json", "retry", ...ids.map(String));
    assertExit(output, 0);
    assert.deepEqual(JSON.parse(output.stdout), { retried: ids, targets: ["build"] });
    await waitFor(
      "both jobs to run again",
      async () => (await Promise.all(ids.map((id) => starts(worker, id)))).every((n) => n === 2),
    );
    const rows = await waitForDone(db, ids);
    assert.deepEqual(rows.map((row) => row.result), ["ok", "ok"]);
  });

  await t.step("a retry with some ids refused does the rest and exits with status 1", async () => {
    const output = await ctl("retry", String(ids[0]), "999999");
    assertExit(output, 1);
    assert.match(output.stdout, new RegExp(`^ *${ids[0]} \\| waiting again$`, "m"));
    assert.match(output.stdout, /^ *999999 \| refused: job 999999 not found$/m);
    assert.equal(output.stderr, "jobctl: 1 of 2 jobs were not retried\n");
    await waitFor("the retried job to run again", async () => await starts(worker, ids[0]) === 3);
    await waitForDone(db, [ids[0]]);
  });
});

Deno.test("jobctl points out likely typos and refuses bad signal names before connecting", async () => {
  const closed = String(freePort());
  const command = await jobctl("--port", closed, "stauts");
  assertExit(command, 2);
  assert.match(
    command.stderr,
    /^jobctl: unknown worker command 'stauts'; did you mean 'status'\?\n/,
  );
  const option = await jobctl("--port", closed, "--jsno", "status");
  assertExit(option, 2);
  assert.match(option.stderr, /^jobctl: unknown option '--jsno'; did you mean '--json'\?\n/);
  // `add` does not take --result: no suggestion that would be refused next.
  const other = await jobctl("--port", closed, "add", "x", "--resutl", "ok");
  assertExit(other, 2);
  assert.equal(other.stderr, "jobctl: unknown option '--resutl'\nTry 'jobctl add --help'\n");
  const contradiction = await jobctl(
    "--port",
    closed,
    "jobs",
    "--result",
    "ok",
    "--status",
    "waiting",
  );
  assertExit(contradiction, 2);
  assert.equal(
    contradiction.stderr,
    "jobctl: --result ok and --status waiting match no row: only 'done' rows have result ok\n" +
      "Try 'jobctl jobs --help'\n",
  );
  const foreign = await jobctl("--port", closed, "poll", "build", "--limit", "3");
  assertExit(foreign, 2);
  assert.match(foreign.stderr, /^jobctl: 'poll' has no option --limit: it takes no options/);
  const signal = await jobctl("--port", closed, "send-signal", "5", "TREM");
  assertExit(signal, 2);
  assert.match(signal.stderr, /^jobctl: unknown signal 'TREM'/);
  const json = await jobctl("--json", "--port", closed, "frobnicate");
  assertExit(json, 2);
  assert.deepEqual(JSON.parse(json.stderr), { error: "unknown worker command 'frobnicate'" });
});

Deno.test("careless arguments to the table commands are refused before connecting, each named with what is expected", async () => {
  // Nothing listens on the port: status 2 (not 3) shows that jobctl refused before connecting.
  const closed = String(freePort());
  const refused = async (args: string[], stderr: string) => {
    const output = await jobctl("--port", closed, ...args);
    assertExit(output, 2);
    assert.equal(output.stdout, "");
    assert.equal(output.stderr, stderr);
  };
  await refused(
    ["show", "-5"],
    "jobctl: invalid argument '-5': expected a positive number (ids, counts and signal " +
      "numbers are written without '-')\nTry 'jobctl show --help'\n",
  );
  await refused(
    ["show", "9007199254740992"],
    "jobctl: invalid job id '9007199254740992': expected an integer from 1 to 9007199254740991\n" +
      "Try 'jobctl show --help'\n",
  );
  // Given twice, an option used to keep its last value silently: 3 rows, or only b's rows.
  await refused(
    ["add", "build", "--count", "2", "--count", "3"],
    "jobctl: --count is given twice, with '2' and '3': give it once\nTry 'jobctl add --help'\n",
  );
  await refused(
    ["jobs", "--target", "a", "--target", "b"],
    "jobctl: --target is given twice, with 'a' and 'b': give it once\nTry 'jobctl jobs --help'\n",
  );
  // More ids than one retry request takes: a usage error, not the daemon's refusal (status 1).
  const ids = Array.from({ length: 1001 }, (_, index) => String(index + 1));
  await refused(
    ["retry", ...ids],
    "jobctl: 'retry' takes at most 1000 job ids, got 1001: retry them in batches of 1000\n" +
      "Try 'jobctl retry --help'\n",
  );
  const json = await jobctl("--json", "--port", closed, "jobs", "--limit", "5", "--limit=50");
  assertExit(json, 2);
  assert.deepEqual(JSON.parse(json.stderr), {
    error: "--limit is given twice, with '5' and '50': give it once",
  });
});

Deno.test("the same commands work on a worker with SQLite storage", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  await using worker = await startWorker(db, { targets: { build: 1 } });
  const ctl = (...args: string[]) => jobctl("--port", String(worker.port), ...args);
  const [id] = addedIds(await ctl("add", "build"));
  await waitForDone(db, [id]);
  const shown = JSON.parse((await ctl("--json", "show", String(id))).stdout);
  assert.deepEqual([shown.job.status, shown.job.stdout], ["done", `out ${id}\n`]);
  const stats = JSON.parse((await ctl("--json", "stats")).stdout);
  assert.deepEqual(stats.targets.build.lastHour, { ok: 1, fail: 0 });
  assertExit(await ctl("retry", String(id)), 0);
  await waitFor("the job to run again", async () => await starts(worker, id) === 2);
});

Deno.test("a row's control characters are printed escaped, so a table row cannot steer the terminal", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startWorker(db, { targets: { build: 1 } });
  const [id] = await db.insertJobs("build", 1, "done");
  await db.setColumns([id], { result: "fail", stderr: "\x1b[31mRED\x1b]0;owned\x07\r" });
  const ctl = (...args: string[]) => jobctl("--port", String(worker.port), ...args);
  const shown = await ctl("show", String(id));
  assertExit(shown, 0);
  assert.ok(!shown.stdout.includes("\x1b"), shown.stdout);
  assert.match(shown.stdout, /^\\x1b\[31mRED\\x1b\]0;owned\\x07\\x0d$/m);
  // --json carries the text as it is (JSON escapes it).
  const json = JSON.parse((await ctl("--json", "show", String(id))).stdout);
  assert.equal(json.job.stderr, "\x1b[31mRED\x1b]0;owned\x07\r");
});

Deno.test("stats counts the jobs timed out in the last hour and the failed attempts waiting for a retry; jobs lists those", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  const [slow, flaky] = await db.insertJobs("build", 2);
  await db.setColumns([slow], { timeout: 1 });
  await db.setColumns([flaky], { max_attempts: 3 });
  await using worker = await startWorker(db, {
    targets: { build: 2 },
    config: { timeout_grace: 1, retry_delay: 3600, retry_delay_max: 3600 },
  });
  await worker.script(slow, "exec sleep 60");
  await worker.script(flaky, "exit 1");
  await worker.client.poll(["build"]);
  await waitForDone(db, [slow], 60);
  await waitFor(
    "the flaky job delayed for its next attempt",
    async () => (await db.rows([flaky]))[0].status === "delayed",
  );
  const ctl = (...args: string[]) => jobctl("--port", String(worker.port), ...args);
  const json = JSON.parse((await ctl("--json", "stats")).stdout);
  assert.deepEqual(json.targets.build.timedOut, { lastHour: 1, lastDay: 1 });
  assert.equal(json.targets.build.delayed, 1);
  assert.equal(json.targets.build.retrying, 1);
  // The failed attempt keeps its result while it waits for its retry.
  const retrying = JSON.parse(
    (await ctl("--json", "jobs", "--result", "fail", "--status", "delayed")).stdout,
  );
  assert.deepEqual(retrying.jobs.map((job: { id: number }) => job.id), [flaky]);
  const output = await ctl("stats");
  assertExit(output, 0);
  assert.match(
    output.stdout,
    /^TARGET \| WAITING \| DELAYED \| RETRYING \| MANUAL \| ACCEPTED \| RUNNING \| OK 1H \| FAIL 1H \| TIMED OUT 1H \|/m,
  );
  assert.match(
    output.stdout,
    /^build +\| +0 \| +1 \| +1 \| +0 \| +0 \| +0 \| +0 \| +1 \| +1 \| +0 \| +1 \| +-$/m,
  );
});

Deno.test("stats on a table of 100,000 targets answers the 10,000 busiest and counts the others, through the master too", async () => {
  await using db = await openTestDatabase();
  const table = quoteIdentifier(db.table);
  // MariaDB's sequence engine: one done row for each of 100,000 targets, and two waiting for t7.
  await db.query(
    `INSERT INTO ${table} (target, status, result, time_created, time_finished)
       SELECT CONCAT('t', seq), 'done', 'ok', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()
       FROM seq_0_to_99999`,
  );
  await db.insertJobs("t7", 2);
  await using master = await startMaster();
  await using worker = await startLinkedWorker(db, master, "w1", { build: 1 });
  for (
    const via of [["--port", String(worker.port)], ["--master", "--port", String(master.port)]]
  ) {
    const output = await jobctl(...via, "stats");
    assertExit(output, 0);
    const lines = output.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2 + 10_000 + 1);
    assert.equal(
      lines.at(-1),
      "90000 more targets with rows not listed: the answer lists the 10000 with the most " +
        "unfinished rows",
    );
    assert.match(lines.find((line) => line.startsWith("t7 "))!, /^t7 +\| +2 \|/);
    const json = JSON.parse((await jobctl(...via, "--json", "stats")).stdout);
    assert.equal(Object.keys(json.targets).length, 10_000);
    assert.equal(json.omittedTargets, 90_000);
  }
  // The master's connection to the worker lived through the answers.
  assert.deepEqual((await master.client.status()).workers.map((w) => w.name), ["w1"]);
});

Deno.test("stats with only 'waiting' answers the waiting rows of the worker's own targets alone", async () => {
  await using db = await openTestDatabase();
  // No poll_interval: rows inserted here stay waiting.
  await using worker = await startWorker(db, { targets: { build: 1, deploy: 1 } });
  await db.insertJobs("build", 3);
  await db.insertJobs("build", 2, "manual");
  await db.insertJobs("other", 4);
  const answer = await worker.client.waitingStats();
  assert.deepEqual(answer.targets, { build: { waiting: 3 } });
  assert.equal(typeof answer.time, "number");
  await assert.rejects(
    worker.client.request("stats", { only: "done" }),
    /'only' must be one of waiting, got 'done'/,
  );
});
