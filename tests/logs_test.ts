/**
 * What the daemons' logs tell an operator (README "Logs"), read from real
 * `jobd` and `jobd-master` subprocesses on a real MariaDB: failed jobs,
 * outages and their end, the start-up summary, what a SIGHUP changed, the
 * journal's priority prefix, JSON lines, and a SIGHUP during start-up.
 */

import assert from "node:assert/strict";
import type { RowDataPacket } from "mysql2/promise";
import { VERSION } from "../src/version.ts";
import { killNameLockHolder, openTestDatabase } from "./helpers/database.ts";
import {
  freePort,
  iniText,
  type ProgramProcess,
  runProgram,
  spawnProgram,
  startDaemon,
  waitFor,
  workerClient,
} from "./helpers/processes.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

/** The lines of a process's stderr that match `pattern`. */
function linesOf(process: ProgramProcess, pattern: RegExp): string[] {
  return process.stderrSoFar.split("\n").filter((line) => pattern.test(line));
}

/** Waits for a line of stderr matching `pattern` and returns it. */
function lineMatching(process: ProgramProcess, pattern: RegExp, seconds = 60): Promise<string> {
  return waitFor(`a line matching ${pattern}`, () => linesOf(process, pattern)[0], seconds);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("a failed job is a warning with target, id, duration and exit code or signal; every ended line has target and duration", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, {
    targets: { t1: 4 },
    config: { log_level_console: "info", timeout: 1, timeout_grace: 1 },
  });
  const [ok, exit3, killed, timedOut] = await db.insertJobs("t1", 4);
  await worker.script(ok, "true");
  await worker.script(exit3, "exit 3");
  await worker.script(killed, "kill -KILL $$");
  await worker.script(timedOut, "sleep 30");
  await worker.client.poll();
  await waitForDone(db, [ok, exit3, killed, timedOut]);
  const process = worker.process;
  const duration = String.raw`after \d+(\.\d)? m?s$`;
  await lineMatching(
    process,
    new RegExp(
      String.raw`\[INF\] jobd·worker: Job ${ok} of t1 ended: ok, exit code 0, ${duration}`,
    ),
  );
  await lineMatching(
    process,
    new RegExp(
      String.raw`\[WRN\] jobd·worker: Job ${exit3} of t1 ended: fail, exit code 3, ${duration}`,
    ),
  );
  await lineMatching(
    process,
    new RegExp(
      String
        .raw`\[WRN\] jobd·worker: Job ${killed} of t1 ended: fail, killed by SIGKILL, ${duration}`,
    ),
  );
  await lineMatching(
    process,
    new RegExp(
      String.raw`\[WRN\] jobd·worker: Job ${timedOut} of t1 ended: fail, timed out after 1 s ` +
        String.raw`\(SIGTERM\), after \d+\.\d s$`,
    ),
  );
});

Deno.test("a launcher that cannot be spawned is a warning saying why", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, {
    config: { launcher: "/nonexistent/launcher {id}", log_level_console: "warn" },
  });
  const [id] = await db.insertJobs("t1", 1);
  await worker.client.poll();
  await waitForDone(db, [id]);
  const line = await lineMatching(worker.process, new RegExp(`Job ${id} of t1 ended`));
  assert.match(
    line,
    /\[WRN\] jobd·worker: Job \d+ of t1 ended: fail, not started: .*\/nonexistent\/launcher.*, after \d+ m?s$/,
  );
});

Deno.test("start-up says at the default level the version, address, storage, targets and features", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true, withTimeColumns: true });
  await using worker = await startWorker(db, {
    targets: { t1: 2, t2: 1 },
    config: { log_level_console: undefined, password: "s3cret", always_allow_localhost: true },
  });
  const line = await lineMatching(worker.process, /\[NTC\]/);
  assert.equal(linesOf(worker.process, /\[INF\]/).length, 0, "the default level is warn");
  assert.match(
    line,
    new RegExp(
      String.raw`\[NTC\] jobd·daemon: jobd ${
        VERSION.replaceAll(".", "\\.")
      } \(worker test-worker\) ` +
        String.raw`started: listening on 127\.0\.0\.1:${worker.port}; storage mysql \S+@` +
        String.raw`127\.0\.0\.1:\d+/${db.database}, table jobs; targets t1 \(2\), t2 \(1\); ` +
        String
          .raw`features time columns \(deferred jobs, retries, row timeouts, row max_attempts\), ` +
        String.raw`worker column, password \(not from localhost\)$`,
    ),
  );
  assert.doesNotMatch(worker.process.stderrSoFar, /s3cret/);

  const masterPort = freePort();
  const { process: master } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort }),
    { port: masterPort },
  );
  await using _master = master;
  assert.match(
    await lineMatching(master, /\[NTC\]/),
    new RegExp(
      String.raw`\[NTC\] jobd·daemon: jobd-master \S+ started: listening on 127\.0\.0\.1:` +
        String.raw`${masterPort}; pings workers every \d+ s; features none$`,
    ),
  );
});

Deno.test("under systemd (JOURNAL_STREAM) console lines carry the syslog priority and no timestamp", async () => {
  await using db = await openTestDatabase();
  const port = freePort();
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const { process } = await startDaemon(
    "jobd",
    workerConfig(db, port, jobDir, { config: { log_level_console: "debug" } }),
    { port, env: { JOURNAL_STREAM: "8:12345" } },
  );
  await using _process = process;
  const client = await workerClient(port);
  try {
    await Deno.writeTextFile(`${jobDir}/default.sh`, "exit 4");
    const [id] = await db.insertJobs("t1", 1);
    await client.poll();
    await waitForDone(db, [id]);
    await lineMatching(process, new RegExp(`^<4>\\[WRN\\] jobd·worker: Job ${id} of t1 ended`));
    await lineMatching(process, /^<5>\[NTC\] jobd·daemon: jobd \S+ \(worker test-worker\) started/);
    await lineMatching(process, /^<6>\[INF\] /);
    await lineMatching(process, /^<7>\[DBG\] /);
    const lines = process.stderrSoFar.split("\n").filter((line) => line !== "");
    for (const line of lines) assert.match(line, /^<[3-7]>\[[A-Z]{3}\] /);
  } finally {
    client.close();
    await Deno.remove(jobDir, { recursive: true });
  }
});

Deno.test("log_format = json writes one JSON object per line, on the console and in the log file", async () => {
  await using db = await openTestDatabase();
  const logDir = await Deno.makeTempDir({ prefix: "jobd-log-" });
  try {
    await using worker = await startWorker(db, {
      config: {
        log_format: "json",
        log_file: `${logDir}/jobd.log`,
        log_level_file: "info",
        log_level_console: "warn",
      },
    });
    await worker.script("default", "exit 5");
    const [id] = await db.insertJobs("t1", 1);
    await worker.client.poll();
    await waitForDone(db, [id]);
    const failed = (text: string) =>
      text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))
        .find((object) => object.properties?.id === id && object.level === "WARN");
    const inFile = await waitFor(
      "the failed job in the log file",
      async () => failed(await Deno.readTextFile(`${logDir}/jobd.log`)),
    );
    assert.equal(inFile.logger, "jobd.worker");
    assert.equal(inFile.properties.target, "t1");
    assert.equal(inFile.properties.code, 5);
    assert.equal(typeof inFile.properties.durationMs, "number");
    assert.match(inFile.message, new RegExp(`^Job ${id} of t1 ended: fail, exit code 5, after`));
    assert.match(inFile["@timestamp"], /^\d{4}-\d\d-\d\dT/);
    const onConsole = await waitFor(
      "the failed job on the console",
      () => failed(worker.process.stderrSoFar),
    );
    assert.equal(onConsole.message, inFile.message);
    const summary = worker.process.stderrSoFar.split("\n").filter(Boolean)
      .map((line) => JSON.parse(line)).find((object) => object.level === "NOTICE");
    assert.match(summary.message, /^jobd \S+ \(worker test-worker\) started: /);
    assert.equal(summary.logger, "jobd.daemon");
  } finally {
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("SIGHUP says what changed in the file, or that nothing did, never a password", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 2, t2: 1 } });
  const config = await Deno.readTextFile(worker.configPath);
  await Deno.writeTextFile(
    worker.configPath,
    config.replace("t1 = 2", "t1 = 3").replace("t2 = 1", "t3 = 2")
      .replace("poll_interval = 0", "poll_interval = 30\npassword = hunter22"),
  );
  worker.process.kill("SIGHUP");
  const changed = await lineMatching(worker.process, /Config reloaded from/);
  assert.match(changed, /\[NTC\] jobd·daemon: Config reloaded from \S+: 5 changes: /);
  assert.match(changed, /poll_interval changed: 0 -> 30/);
  assert.match(changed, /password added/);
  assert.match(changed, /target t1: concurrency 2 -> 3/);
  assert.match(changed, /target t3 added \(concurrency 2\)/);
  assert.match(changed, /target t2 removed/);
  assert.doesNotMatch(worker.process.stderrSoFar, /hunter22/);

  worker.process.kill("SIGHUP");
  await lineMatching(worker.process, /Config reloaded from \S+: nothing changed$/);
});

Deno.test("a SIGHUP during start-up is held and applied once started, not lost and not a crash", async () => {
  await using db = await openTestDatabase();
  const port = freePort();
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const dir = await Deno.makeTempDir({ prefix: "jobd-jobd-" });
  const configPath = `${dir}/jobd.conf`;
  await Deno.writeTextFile(
    configPath,
    workerConfig(db, port, jobDir, { config: { log_level_console: "debug" } }),
  );
  // The test's session holds the jobs table: the worker's start-up waits for it.
  const session = await db.session();
  await session.query("LOCK TABLES jobs WRITE");
  const process = spawnProgram("jobd", ["--config", configPath], { dir });
  await using _process = process;
  try {
    await lineMatching(process, /Config \S+ loaded; starting/);
    assert.ok(process.kill("SIGHUP"));
    await lineMatching(process, /SIGHUP during start-up: the config is reloaded once started/);
    await session.query("UNLOCK TABLES");
    await process.waitForPort(port);
    await lineMatching(process, /Config reloaded from \S+: nothing changed/);
    const stderr = process.stderrSoFar;
    assert.ok(
      stderr.indexOf("started: listening on") < stderr.indexOf("Config reloaded from"),
      "the reload comes after the start",
    );
    await process.assertRunning();
  } finally {
    await session.end();
    await Deno.remove(jobDir, { recursive: true });
  }
});

Deno.test("a lost database is one warning, and its return one more with the outage's length", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  await using worker = await startWorker(db, { config: { log_level_console: "info" } });
  // A job that ends while the database is away: its result write is retried until it is back.
  const [id] = await db.insertJobs("t1", 1);
  await worker.script(id, "sleep 2");
  await worker.client.poll();
  await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");
  await db.server!.stop();
  await lineMatching(worker.process, /\[WRN\] jobd·worker: Lost the database 127\.0\.0\.1:\d+\//);
  // The write is retried meanwhile (250 ms, 500 ms, 1 s, 2 s...): one line all the same.
  await pause(4000);
  await db.server!.start();
  const back = await lineMatching(
    worker.process,
    /\[WRN\] jobd·worker: The database 127\.0\.0\.1:\d+\/\S+ is reachable again after \d+ s$/,
  );
  assert.ok(back);
  await waitForDone(db, [id]);
  assert.equal(linesOf(worker.process, /Lost the database/).length, 1);
  assert.equal(linesOf(worker.process, /The database .* is reachable again/).length, 1);
  assert.equal(linesOf(worker.process, /Cannot .*, retrying in/).length, 0, "retries at debug");
});

Deno.test("a lost master is one warning, and its return one more with the outage's length", async () => {
  await using db = await openTestDatabase();
  const masterPort = freePort();
  const masterConfig = iniText({ host: "127.0.0.1", port: masterPort });
  let { process: master } = await startDaemon("jobd-master", masterConfig, { port: masterPort });
  await using worker = await startWorker(db, {
    config: {
      master_host: "127.0.0.1",
      master_port: masterPort,
      master_reconnect_timeout: 0.3,
      log_level_console: "info",
    },
  });
  try {
    await lineMatching(worker.process, /Registered with the master at 127\.0\.0\.1:\d+$/);
    await master.stop();
    await lineMatching(
      worker.process,
      /\[WRN\] jobd·worker·master: Lost the connection to the master/,
    );
    // Reconnects fail every 0.3 s or so meanwhile: one line all the same.
    await pause(2000);
    ({ process: master } = await startDaemon("jobd-master", masterConfig, { port: masterPort }));
    await lineMatching(
      worker.process,
      /\[WRN\] jobd·worker·master: The master at 127\.0\.0\.1:\d+ is reachable again after \d+ s: registered$/,
    );
    assert.equal(linesOf(worker.process, /master: (Lost|Cannot register)/).length, 1);
  } finally {
    await master[Symbol.asyncDispose]();
  }
});

Deno.test("a lost name-lock connection is one warning, and the lock held again one more with its length", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { log_level_console: "warn" } });
  const session = await db.session();
  try {
    await killNameLockHolder(session, db, "test-worker");
    await lineMatching(worker.process, /\[WRN\] .*Lost the lock on the worker name test-worker/);
    await lineMatching(
      worker.process,
      /\[WRN\] .*Holding the lock on the worker name test-worker again after \d+ m?s: claiming goes on$/,
    );
    assert.equal(linesOf(worker.process, /Lost the lock/).length, 1);
  } finally {
    await session.end();
  }
});

Deno.test("requests refused while the name lock is lost are one info line each, no error and no stack trace", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { log_level_console: "info" } });
  const session = await db.session();
  try {
    // The test's session ends the worker's lock connection and holds the lock: the loss lasts.
    const key = await killNameLockHolder(session, db, "test-worker");
    const [[{ got }]] = await session.query<RowDataPacket[]>("SELECT GET_LOCK(?, 10) AS got", [
      key,
    ]);
    assert.equal(Number(got), 1);
    await lineMatching(worker.process, /\[WRN\] .*Lost the lock on the worker name test-worker/);
    const ids = await db.insertJobs("t1", 3, "manual");
    for (const id of ids) {
      const refused = await worker.client.runManual([id]).catch((error) => error);
      assert.match(String(refused), /the lock on the worker name 'test-worker' was lost/);
    }
    const refusals = await waitFor(
      "three refusal lines",
      () => {
        const lines = linesOf(worker.process, /Request run-manual refused: /);
        return lines.length >= 3 ? lines : undefined;
      },
    );
    assert.equal(refusals.length, 3);
    for (const line of refusals) assert.match(line, /^\S+ \S+ \S+ \[INF\] jobd·worker: /);
    assert.deepEqual(linesOf(worker.process, /\[ERR\]/), []);
    assert.deepEqual(linesOf(worker.process, /^\s+at /), [], "no stack trace");
  } finally {
    await session.end();
  }
});

Deno.test("a daemon that cannot start says why in one line, on the console and under systemd, and in the log file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd-start-error-" });
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = busy.addr.port;
    const configPath = `${dir}/jobd-master.conf`;
    const logPath = `${dir}/jobd-master.log`;
    await Deno.writeTextFile(
      configPath,
      iniText({ host: "127.0.0.1", port, log_file: logPath, log_level_file: "warn" }),
    );
    const reason = new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}`);
    const envs: Record<string, string>[] = [{}, { JOURNAL_STREAM: "8:12345" }];
    for (const env of envs) {
      const { code, stderr } = await runProgram("jobd-master", ["--config", configPath], { env });
      assert.equal(code, 1, stderr);
      const lines = stderr.split("\n").filter((line) => reason.test(line));
      assert.equal(lines.length, 1, stderr);
      const journal = "JOURNAL_STREAM" in env ? "<3>" : "";
      assert.match(lines[0], new RegExp(`^${journal}.*\\[ERR\\] jobd·daemon: Cannot start: `));
    }
    const logged = (await Deno.readTextFile(logPath)).split("\n").filter((line) =>
      reason.test(line)
    );
    assert.equal(logged.length, 2, "one line for each of the two starts");
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});
