/**
 * `jobd --check-config` and `jobd-master --check-config` (`-t`), as
 * `nginx -t` does: the config checked (the worker's job board included),
 * what the daemon would serve printed, exit 0; or the error naming key and
 * file, exit 1. No database is needed: the worker's points at a closed port.
 */

import assert from "node:assert/strict";
import { freePort, iniText, ROOT, runProgram } from "./helpers/processes.ts";

/** A temporary directory, removed when the test's `await using` scope ends. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "jobd-check-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** A worker config on a database nobody listens on. */
function workerConfig(extra: Record<string, string | number> = {}): string {
  return iniText({
    host: "127.0.0.1",
    port: 7080,
    name: "w1",
    storage: "mysql",
    mysql_host: "127.0.0.1",
    mysql_port: freePort(),
    mysql_user: "jobd",
    mysql_password: "db-secret",
    mysql_database: "app",
    launcher: "/usr/local/bin/run-job {id}",
    ...extra,
  }, { targets: { build: 4, mail: 1 } });
}

Deno.test("a good worker config: what it would serve, exit 0, no database needed", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  await Deno.writeTextFile(
    path,
    workerConfig({
      schedules: `${ROOT}examples/jobd-board.ini`,
      master_host: "10.0.0.5",
      master_port: 7081,
    }),
  );
  const { code, stdout, stderr } = await runProgram("jobd", ["--check-config", "--config", path]);
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    `jobd: the configuration file ${path} is valid; it would serve:\n` +
      "  listening on: 127.0.0.1:7080\n" +
      `  storage: mysql jobd@${stdout.match(/jobd@(\S+)\//)?.[1]}/app, table jobs\n` +
      "  targets: build (4), mail (1)\n" +
      "  master: 10.0.0.5:7081\n" +
      `  features: job board ${ROOT}examples/jobd-board.ini (3 schedules), poll every 60 s\n` +
      `jobd: configuration file ${path} test is successful\n`,
  );
  assert.doesNotMatch(stdout + stderr, /db-secret/);
});

Deno.test("-t is --check-config; a bad key is named with its file, exit 1", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  await Deno.writeTextFile(path, workerConfig({ poll_interval: "often" }));
  const { code, stdout, stderr } = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, new RegExp(`^jobd: ${path}: 'poll_interval' .*'often'`, "m"));
  assert.match(stderr, new RegExp(`jobd: configuration file ${path} test failed\n$`));
});

Deno.test("-t refuses a duration longer than a timer can wait, naming the limit", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  await Deno.writeTextFile(path, workerConfig({ poll_interval: 3000000 }));
  const { code, stderr } = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(
      `^jobd: ${path}: 'poll_interval' must be 0 or a number from 0.05 to 2147483 seconds ` +
        "\\(.*at most about 24 days, .*got '3000000'$",
      "m",
    ),
  );
});

Deno.test("-t warns about a key given twice and a [target:NAME] no target has, and passes", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  const text = `${workerConfig()}\n[targets]\nbuild = 5\n[target:biuld]\ntimeout = 60\n`;
  await Deno.writeTextFile(path, text);
  const lines = text.split("\n");
  const first = lines.indexOf("build = 4") + 1;
  const second = lines.indexOf("build = 5") + 1;
  const { code, stdout, stderr } = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /targets: build \(5\), mail \(1\)/);
  assert.ok(
    stderr.includes(
      `jobd: warning: ${path}: 'build' in [targets] is given twice (lines ${first} and ` +
        `${second}): the value of line ${second} is used\n`,
    ),
    stderr,
  );
  assert.ok(stderr.includes(`jobd: warning: ${path}: [target:biuld] is for a target that`), stderr);
});

Deno.test("the job board is checked too: its problem names the board's file, section and key", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  const board = `${dir.path}/board.ini`;
  await Deno.writeTextFile(board, "[nightly]\ntarget = build\ncron = 61 2 * * *\n");
  await Deno.writeTextFile(path, workerConfig({ schedules: board }));
  const { code, stderr } = await runProgram("jobd", ["--check-config", "--config", path]);
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`^jobd: ${board}: 'cron' in \\[nightly\\] .*61`, "m"));
  assert.match(stderr, /test failed\n$/);
});

Deno.test("-t warns about a config holding a password that every user can read, naming the chmod", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  await Deno.writeTextFile(path, workerConfig());
  await Deno.chmod(path, 0o644);
  const open = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(open.code, 0, open.stderr);
  assert.equal(
    open.stderr,
    `jobd: warning: ${path}: the file holds a password ('mysql_password') and every user of ` +
      `this host can read it (mode 0644): run 'chmod 0640 ${path}'\n`,
  );
  await Deno.chmod(path, 0o640);
  const closed = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.equal(closed.stderr, "");
});

Deno.test("a missing job board is an error naming the board's file, the key 'schedules' and the config file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  const board = `${dir.path}/missing.ini`;
  await Deno.writeTextFile(path, workerConfig({ schedules: board }), { mode: 0o640 });
  const { code, stderr } = await runProgram("jobd", ["-t", "-c", path]);
  assert.equal(code, 1);
  assert.ok(
    stderr.startsWith(
      `jobd: ${board}: file not found (the job board named by 'schedules' in ${path})\n`,
    ),
    stderr,
  );
});

Deno.test("a board over a config file's 1 MiB but within its own 16 MiB passes, as the daemon reads it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd.conf`;
  const board = `${dir.path}/board.ini`;
  const padding = `; ${"x".repeat(1000)}\n`.repeat(2048);
  await Deno.writeTextFile(board, `${padding}[nightly]\ntarget = build\ncron = 0 2 * * *\n`);
  await Deno.writeTextFile(path, workerConfig({ schedules: board }));
  const { code, stdout } = await runProgram("jobd", ["--check-config", "--config", path]);
  assert.equal(code, 0);
  assert.match(stdout, /\(1 schedule\)/);
});

Deno.test("a missing config file is an error naming it", async () => {
  const { code, stderr } = await runProgram("jobd", ["-t", "-c", "/nonexistent/jobd.conf"]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^jobd: \/nonexistent\/jobd\.conf: .*\njobd: configuration file .* test failed\n$/,
  );
});

Deno.test("jobd-master --check-config: its address and features, or its error", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/jobd-master.conf`;
  await Deno.writeTextFile(
    path,
    iniText({ host: "0.0.0.0", port: 7081, password: "pw", ping_interval: 5, http_port: 9181 }),
  );
  const good = await runProgram("jobd-master", ["--check-config", "--config", path]);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(
    good.stdout,
    `jobd-master: the configuration file ${path} is valid; it would serve:\n` +
      "  listening on: 0.0.0.0:7081\n" +
      "  http: 127.0.0.1:9181\n" +
      "  pings workers every: 5 s\n" +
      "  features: password\n" +
      `jobd-master: configuration file ${path} test is successful\n`,
  );
  await Deno.writeTextFile(path, iniText({ host: "0.0.0.0", port: 99999 }));
  const bad = await runProgram("jobd-master", ["-t", "-c", path]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`^jobd-master: ${path}: 'port' `, "m"));
});

Deno.test("--help names --check-config", async () => {
  for (const program of ["jobd", "jobd-master"] as const) {
    const { code, stdout } = await runProgram(program, ["--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /-t, --check-config +check the config/);
  }
});
