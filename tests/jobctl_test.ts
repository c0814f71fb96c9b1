/**
 * jobctl as the operator runs it: a subprocess with the binary's permissions,
 * against a real worker (`jobd`) on a real MariaDB, and against a real master
 * (`jobd-master`) with a worker registered. Every command's output and exit
 * status, `--json`, the password, and the exit statuses of README.md "jobctl"
 * (0 success, 1 the daemon said no, 2 usage, 3 unreachable).
 */

import assert from "node:assert/strict";
import { ENTRY_POINTS, runFlags } from "../scripts/permissions.ts";
import { programArgs } from "../scripts/daemon_process.ts";
import { openTestDatabase } from "./helpers/database.ts";
import {
  decodeOutput,
  DENO_DIR,
  freePort,
  iniText,
  jobctl,
  type ProgramOutput,
  ROOT,
  spawnProgram,
  waitFor,
} from "./helpers/processes.ts";
import { startLinkedWorker, startMaster } from "./helpers/master.ts";
import { startWorker, type TestWorker, waitForDone } from "./helpers/worker.ts";
import { tempDir } from "./helpers/temp_dir.ts";
import { assertExit } from "./helpers/assertions.ts";

/** Writes a jobctl config file and returns its path. */
async function jobctlConfig(
  dir: string,
  name: string,
  keys: Record<string, string | number | boolean>,
) {
  const path = `${dir}/${name}`;
  // Private, as a file with a password should be: jobctl warns about one every user can read.
  await Deno.writeTextFile(path, iniText(keys), { mode: 0o600 });
  return path;
}

/** The `--json list-targets` data of a worker, through jobctl. */
async function targetsOf(
  ctl: (...args: string[]) => Promise<ProgramOutput>,
): Promise<Record<string, { paused: boolean; concurrency: number; length: number }>> {
  const output = await ctl("--json", "list-targets");
  assertExit(output, 0);
  return JSON.parse(output.stdout).targets;
}

/** Waits until the launcher of job `id` has started (its `start ID` line is in the events log). */
function waitForStart(worker: TestWorker, id: number): Promise<boolean> {
  return waitFor(`job ${id} to start`, async () => (await worker.events()).includes(`start ${id}`));
}

Deno.test("jobctl controls a worker: every command, its output, --json and exit statuses", async (t) => {
  await using db = await openTestDatabase();
  const password = "s3cret pass";
  await using worker = await startWorker(db, {
    targets: { build: 2, deploy: 1 },
    config: { password, always_allow_localhost: false },
  });
  await using dir = await tempDir("jobctl-test-");
  const config = await jobctlConfig(dir.path, "jobctl.conf", {
    host: "127.0.0.1",
    port: worker.port,
    password,
  });
  const ctl = (...args: string[]) => jobctl("--config", config, ...args);
  const daemon = `the worker at 127.0.0.1:${worker.port}`;

  await t.step("list-targets prints the targets table", async () => {
    const output = await ctl("list-targets");
    assertExit(output, 0);
    assert.equal(
      output.stdout,
      [
        "TARGET | CONCURRENCY | LENGTH | PAUSED | WAITING",
        "------ | ----------- | ------ | ------ | -------",
        "build  |           2 |      0 | no     |       0",
        "deploy |           1 |      0 | no     |       0",
        "",
      ].join("\n"),
    );
    assert.equal(output.stderr, "");
  });

  await t.step("--json prints the response data as JSON", async () => {
    const output = await ctl("list-targets", "--json");
    assertExit(output, 0);
    const status = JSON.parse(output.stdout);
    assert.deepEqual(status.targets, {
      build: { paused: false, concurrency: 2, length: 0, waiting: 0 },
      deploy: { paused: false, concurrency: 1, length: 0, waiting: 0 },
    });
    assert.equal(status.jobPromisesCount, 0);
    assert.equal(typeof status.memoryUsage.rss, "number");
  });

  await t.step("memory-usage shows memory in human units and pendingJobPromises", async () => {
    const output = await ctl("memory-usage");
    assertExit(output, 0);
    assert.match(output.stdout, /^WHAT +\| +VALUE$/m);
    assert.match(output.stdout, /^rss +\| +\d+\.\d (KiB|MiB|GiB)$/m);
    assert.match(output.stdout, /^heapUsed +\| +\d+\.\d (KiB|MiB|GiB)$/m);
    assert.match(output.stdout, /^pendingJobPromises +\| +0$/m);
  });

  await t.step(
    "status shows list-targets' table, WAITING included, and the memory table",
    async () => {
      const output = await ctl("status");
      assertExit(output, 0);
      const targets = await ctl("list-targets");
      assert.ok(output.stdout.startsWith(`${targets.stdout}\n`), output.stdout);
      assert.match(output.stdout, /^TARGET \| CONCURRENCY \| LENGTH \| PAUSED \| WAITING$/m);
      assert.match(output.stdout, /^\nWHAT +\| +VALUE$/m);
      const json = JSON.parse((await ctl("--json", "status")).stdout);
      assert.deepEqual(json.targets.build, {
        paused: false,
        concurrency: 2,
        length: 0,
        waiting: 0,
      });
    },
  );

  await t.step("pause and continue act on the named targets, or on all", async () => {
    assert.deepEqual(await ctl("pause", "build"), {
      code: 0,
      stdout: "Paused 'build'\n",
      stderr: "",
    });
    const listed = await ctl("list-targets");
    assert.match(listed.stdout, /^build +\| +2 \| +0 \| yes +\| +0$/m);
    assert.match(listed.stdout, /^deploy +\| +1 \| +0 \| no +\| +0$/m);

    assert.equal((await ctl("pause")).stdout, "Paused all targets\n");
    assert.deepEqual(
      Object.values(await targetsOf(ctl)).map((target) => target.paused),
      [true, true],
    );
    assert.equal((await ctl("continue", "deploy")).stdout, "Resumed 'deploy'\n");
    assert.equal((await targetsOf(ctl)).deploy.paused, false);
    assert.equal((await ctl("continue")).stdout, "Resumed all targets\n");
    assert.deepEqual(
      Object.values(await targetsOf(ctl)).map((target) => target.paused),
      [false, false],
    );
  });

  await t.step("poll makes the worker run waiting jobs", async () => {
    const ids = await db.insertJobs("build", 2);
    const output = await ctl("poll", "build");
    assertExit(output, 0);
    assert.equal(output.stdout, "Asked the worker to poll 'build'\n");
    const rows = await waitForDone(db, ids);
    assert.deepEqual(rows.map((row) => row.stdout), ids.map((id) => `out ${id}\n`));
  });

  await t.step("an error answer exits with status 1 and the daemon's message", async () => {
    assert.deepEqual(await ctl("poll", "build", "nope"), {
      code: 1,
      stdout: "",
      stderr: `jobctl: ${daemon} refused 'poll': invalid target 'nope'\n`,
    });
  });

  await t.step("set-target-concurrency changes a target's concurrency", async () => {
    const output = await ctl("set-target-concurrency", "deploy", "3");
    assertExit(output, 0);
    assert.equal(output.stdout, "Set the concurrency of 'deploy' to 3\n");
    assert.equal((await targetsOf(ctl)).deploy.concurrency, 3);
  });

  await t.step("add-target and remove-target change the served targets", async () => {
    assert.equal(
      (await ctl("add-target", "extra", "2")).stdout,
      "Added target 'extra' with concurrency 2\n",
    );
    assert.deepEqual((await targetsOf(ctl)).extra, {
      paused: false,
      concurrency: 2,
      length: 0,
      waiting: 0,
    });
    assert.deepEqual(await ctl("add-target", "extra", "1"), {
      code: 1,
      stdout: "",
      stderr: `jobctl: ${daemon} refused 'add-target': target 'extra' already added\n`,
    });
    assert.equal((await ctl("remove-target", "extra")).stdout, "Removed target 'extra'\n");
    assert.equal((await targetsOf(ctl)).extra, undefined);
    const again = await ctl("remove-target", "extra");
    assertExit(again, 1);
    assert.equal(
      again.stderr,
      `jobctl: ${daemon} refused 'remove-target': target 'extra' not found\n`,
    );
  });

  await t.step("run-manual prints the job's result, exit code, stdout and stderr", async () => {
    const [id] = await db.insertJobs("build", 1, "manual");
    assert.deepEqual(await ctl("run-manual", String(id)), {
      code: 0,
      stdout: `Job ${id}: ok, exit code 0\nstdout:\nout ${id}\nstderr:\nerr ${id}\n`,
      stderr: "",
    });
  });

  await t.step("run-manual exits with status 1 when a job failed or could not run", async () => {
    const [ok, failing] = await db.insertJobs("build", 2, "manual");
    await worker.script(failing, 'echo "half done"; exit 3');
    const [done] = await db.insertJobs("build", 1, "manual");
    await db.query(`UPDATE ${db.table} SET status = 'done' WHERE id = ?`, [done]);
    const missing = done + 1000;

    const output = await ctl("run-manual", ...[ok, failing, done, missing].map(String));
    assertExit(output, 1);
    assert.equal(
      output.stdout,
      [
        `Job ${ok}: ok, exit code 0`,
        "stdout:",
        `out ${ok}`,
        "stderr:",
        `err ${ok}`,
        "",
        `Job ${failing}: fail, exit code 3`,
        "stdout:",
        "half done",
        "stderr: (empty)",
        "",
        `Job ${done}: error: status = done != manual`,
        "",
        `Job ${missing}: error: job ${missing} not found`,
        "",
      ].join("\n"),
    );
    assert.equal(output.stderr, "jobctl: 3 of 4 jobs did not succeed\n");
  });

  await t.step("run-manual --json prints the worker's answer", async () => {
    const [id] = await db.insertJobs("build", 1, "manual");
    const output = await ctl("--json", "run-manual", String(id));
    assertExit(output, 0);
    assert.deepEqual(JSON.parse(output.stdout), {
      jobs: {
        [id]: { result: "ok", code: 0, signal: null, stdout: `out ${id}\n`, stderr: `err ${id}\n` },
      },
    });
  });

  await t.step("send-signal signals a running job; the waiting run-manual reports it", async () => {
    const [id] = await db.insertJobs("build", 1, "manual");
    await worker.script(id, "exec sleep 60");
    await using running = spawnProgram("jobctl", ["--config", config, "run-manual", String(id)]);
    await waitForStart(worker, id);

    const output = await ctl("send-signal", String(id), "term");
    assertExit(output, 0);
    assert.match(output.stdout, /^ID +\| SIGNAL +\| RESULT$/m);
    assert.match(output.stdout, new RegExp(`^ *${id} \\| SIGTERM \\| delivered$`, "m"));

    const { status, stdout, stderr } = await running.finished();
    assert.equal(status.code, 1);
    assert.equal(stdout, `Job ${id}: fail, killed by SIGTERM\nstdout: (empty)\nstderr: (empty)\n`);
    assert.equal(stderr, `jobctl: job ${id} did not succeed\n`);

    const late = await ctl("send-signal", String(id), "KILL");
    assertExit(late, 1);
    assert.match(late.stdout, new RegExp(`^ *${id} \\| SIGKILL \\| not delivered$`, "m"));
    assert.equal(late.stderr, "jobctl: 1 of 1 signals were not delivered\n");
  });

  await t.step("a wrong or missing password exits with status 1: invalid password", async () => {
    const wrong = await jobctlConfig(dir.path, "wrong.conf", {
      port: worker.port,
      password: "nope",
    });
    const expected = {
      code: 1,
      stdout: "",
      stderr: `jobctl: ${daemon} refused 'list-targets': invalid password\n`,
    };
    assert.deepEqual(await jobctl("--config", wrong, "list-targets"), expected);
    assert.deepEqual(await jobctl("--port", String(worker.port), "list-targets"), {
      ...expected,
      stderr: `jobctl: ${daemon} refused 'list-targets': invalid password (jobctl sent none: ` +
        "give it with --password, or as password in the config file)\n",
    });
  });

  /** jobctl `--password list-targets` with `input` piped to its stdin. */
  async function withPipedPassword(input: string): Promise<Deno.CommandOutput> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...runFlags("jobctl"),
        `${ROOT}${ENTRY_POINTS.jobctl}`,
        "--port",
        String(worker.port),
        "--password",
        "list-targets",
      ],
      cwd: dir.path,
      env: { NO_COLOR: "1", HOME: dir.path, DENO_DIR },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    return await child.output();
  }

  await t.step("--password reads stdin, without a prompt, when it is not a terminal", async () => {
    const output = await withPipedPassword(`${password}\n`);
    const text = new TextDecoder();
    assert.equal(output.code, 0, text.decode(output.stderr));
    assert.equal(text.decode(output.stderr), "", "no prompt: nobody is at a terminal to read it");
    assert.match(text.decode(output.stdout), /^build +\| +2 \| +0 \| no +\| +0$/m);
  });

  await t.step(
    "a piped password is taken as it is: a Ctrl-U byte in it edits nothing",
    async () => {
      // At a terminal Ctrl-U would clear "wrong"; from a pipe it is part of the password sent.
      const output = await withPipedPassword(`wrong\x15${password}\r\n`);
      assert.equal(output.code, 1);
      assert.equal(
        new TextDecoder().decode(output.stderr),
        `jobctl: ${daemon} refused 'list-targets': invalid password\n`,
      );
    },
  );

  await t.step("--log-level debug logs to stderr, never the password", async () => {
    const output = await ctl("--log-level", "debug", "list-targets");
    assertExit(output, 0);
    assert.match(output.stderr, /Sending list-targets to the worker at 127\.0\.0\.1:\d+/);
    assert.ok(!output.stderr.includes(password));
    assert.match(output.stdout, /^TARGET /);
  });

  await t.step("an unreachable port exits with status 3 and names host and port", async () => {
    const port = freePort();
    const output = await jobctl("--port", String(port), "list-targets");
    assertExit(output, 3);
    assert.equal(output.stdout, "");
    assert.match(
      output.stderr,
      new RegExp(`^jobctl: cannot connect to the worker at 127\\.0\\.0\\.1:${port}: .+\\n$`),
    );
  });

  await t.step(
    "a master command answered by the worker exits with status 1 and a hint",
    async () => {
      assert.deepEqual(await ctl("--master", "list-workers"), {
        code: 1,
        stdout: "",
        stderr: `jobctl: unexpected answer from the master at 127.0.0.1:${worker.port} to ` +
          "'list-workers': it answers like a worker: leave out --master\n",
      });
    },
  );

  await t.step("a usage error exits with status 2 and says how to get help", async () => {
    assert.deepEqual(await ctl("run-manual", "12", "twelve"), {
      code: 2,
      stdout: "",
      stderr: "jobctl: invalid job id 'twelve': expected an integer from 1 to 9007199254740991\n" +
        "Try 'jobctl run-manual --help'\n",
    });
    assert.deepEqual(await ctl("frobnicate"), {
      code: 2,
      stdout: "",
      stderr: "jobctl: unknown worker command 'frobnicate'\nTry 'jobctl --help'\n",
    });
  });
});

Deno.test("jobctl --master controls the master and, through it, the workers", async (t) => {
  await using db = await openTestDatabase();
  await using master = await startMaster({ config: { poke_throttle_interval: 0.1 } });
  const masterPort = master.port;
  await using worker = await startLinkedWorker(db, master, "w1", { build: 2 });
  const ctl = (...args: string[]) => jobctl("--master", "--port", String(masterPort), ...args);

  await t.step(
    "list-workers shows each worker's targets with concurrency, length and paused state",
    async () => {
      const output = await ctl("list-workers");
      assertExit(output, 0);
      const lines = output.stdout.split("\n");
      assert.match(lines[0], /^WORKER \| ADDRESS +\| TARGET \| CONCURRENCY \| LENGTH \| PAUSED$/);
      assert.match(lines[1], /^-+ \| -+ \| -+ \| -+ \| -+ \| -+$/);
      assert.match(lines[2], /^w1 +\| 127\.0\.0\.1:\d+ +\| build +\| +2 \| +0 \| no$/);
      assert.equal(lines.length, 4);
    },
  );

  await t.step(
    "--json list-workers prints the master's status with each worker's own",
    async () => {
      const output = await ctl("--json", "list-workers");
      assertExit(output, 0);
      const [w1] = JSON.parse(output.stdout).workers;
      assert.equal(w1.name, "w1");
      assert.deepEqual(w1.targets, ["build"]);
      assert.deepEqual(w1.workerStatus.targets.build, { paused: false, concurrency: 2, length: 0 });
    },
  );

  await t.step("status lists the registered workers and the master's memory", async () => {
    const output = await ctl("status");
    assertExit(output, 0);
    assert.match(output.stdout, /^WORKER \| ADDRESS +\| TARGETS$/m);
    assert.match(output.stdout, /^w1 +\| 127\.0\.0\.1:\d+ +\| build$/m);
    assert.match(output.stdout, /^rss +\| +\d+\.\d (KiB|MiB|GiB)$/m);
  });

  await t.step("memory-usage shows the master's memory", async () => {
    const output = await ctl("memory-usage");
    assertExit(output, 0);
    assert.match(output.stdout, /^heapTotal +\| +\d+\.\d (KiB|MiB|GiB)$/m);
    assert.doesNotMatch(output.stdout, /pendingJobPromises/);
  });

  await t.step("pause and continue reach the workers serving the targets", async () => {
    assert.deepEqual(await ctl("pause", "build"), {
      code: 0,
      stdout: "Paused 'build' on the workers serving them\n",
      stderr: "",
    });
    assert.match((await ctl("list-workers")).stdout, /^w1 .*\| build +\| +2 \| +0 \| yes$/m);
    assert.equal(
      (await ctl("continue")).stdout,
      "Resumed all targets on the workers serving them\n",
    );
    assert.match((await ctl("list-workers")).stdout, /^w1 .*\| build +\| +2 \| +0 \| no$/m);
  });

  await t.step("poke makes the serving worker run waiting jobs", async () => {
    const ids = await db.insertJobs("build", 2);
    assert.deepEqual(await ctl("poke", "build"), {
      code: 0,
      stdout: "Poked 'build'\n",
      stderr: "",
    });
    await waitForDone(db, ids);
  });

  await t.step("run-manual TARGET:ID runs jobs on the worker serving the target", async () => {
    const [id] = await db.insertJobs("build", 1, "manual");
    assert.deepEqual(await ctl("run-manual", `build:${id}`), {
      code: 0,
      stdout: `Job ${id}: ok, exit code 0\nstdout:\nout ${id}\nstderr:\nerr ${id}\n`,
      stderr: "",
    });
    const [unserved] = await db.insertJobs("nowhere", 1, "manual");
    const output = await ctl("run-manual", `nowhere:${unserved}`);
    assertExit(output, 1);
    assert.equal(
      output.stdout,
      `Job ${unserved}: error: worker serving target 'nowhere' not found\n`,
    );
    assert.equal(output.stderr, `jobctl: job ${unserved} did not succeed\n`);
  });

  await t.step("send-signal TARGET:ID:SIGNAL signals running jobs through the master", async () => {
    const [id] = await db.insertJobs("build", 1, "manual");
    await worker.script(id, "exec sleep 60");
    await using running = spawnProgram("jobctl", [
      "--master",
      "--port",
      String(masterPort),
      "run-manual",
      `build:${id}`,
    ]);
    await waitForStart(worker, id);

    const output = await ctl("send-signal", `build:${id}:TERM`, "nowhere:1:TERM");
    assertExit(output, 1);
    assert.match(output.stdout, /^ID +\| TARGET +\| SIGNAL +\| RESULT$/m);
    assert.match(output.stdout, new RegExp(`^ *${id} \\| build +\\| SIGTERM \\| delivered$`, "m"));
    assert.match(
      output.stdout,
      /^ +1 \| nowhere \| SIGTERM \| error: worker serving target 'nowhere' not found$/m,
    );
    assert.equal(output.stderr, "jobctl: 1 of 2 signals were not delivered\n");

    const finished = await running.finished();
    assert.equal(finished.status.code, 1);
    assert.match(finished.stdout, new RegExp(`^Job ${id}: fail, killed by SIGTERM$`, "m"));
  });

  await t.step("worker commands are refused with --master (usage error, status 2)", async () => {
    const output = await ctl("list-targets");
    assertExit(output, 2);
    assert.match(output.stderr, /^jobctl: 'list-targets' is a worker command/);
  });
});

Deno.test("a daemon that accepts the connection but does not answer within --timeout: status 3", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const port = listener.addr.port;
    const output = await jobctl("--port", String(port), "--timeout", "0.5", "retry", "7");
    assertExit(output, 3);
    assert.equal(output.stdout, "");
    assert.equal(
      output.stderr,
      `jobctl: no answer from the worker at 127.0.0.1:${port}: request 'retry' got no ` +
        "response within 0.5 s (--timeout; give a longer one, or 0 to wait for ever)\n",
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of held) conn.close();
  }
});

Deno.test("stdout that cannot be written (a full disk) is said in one line, with status 1", async () => {
  // sh sends jobctl's stdout to /dev/full, where every write fails with ENOSPC.
  const output = decodeOutput(
    await new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$0" "$@" > /dev/full',
        Deno.execPath(),
        ...programArgs("jobctl", [
          "--help",
        ]),
      ],
      env: { NO_COLOR: "1", DENO_DIR },
      stdin: "null",
    }).output(),
  );
  assertExit(output, 1);
  assert.match(
    output.stderr,
    /^jobctl: cannot write the output to stdout: No space left on device/,
  );
  assert.doesNotMatch(output.stderr, /unexpected error|\n\s+at /);
});
