import assert from "node:assert/strict";
import { configureLogging, jobdLogger, LOG_FILE_MODE, noticeLogger, REDACTED } from "./log.ts";
import { modeAfterUmask, tempDir } from "../tests/helpers/temp_dir.ts";

/** The non-empty lines of a log file. */
async function logLines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
}

Deno.test("the log file receives messages at and above its level", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "info",
      filePath: file,
    });
    const log = jobdLogger("worker");
    log.trace("trace line");
    log.debug("debug line");
    log.info("info line");
    log.warn("warn line");
  }
  const lines = await logLines(file);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /\[INF\] jobd·worker: info line$/);
  assert.match(lines[1], /\[WRN\] jobd·worker: warn line$/);
});

Deno.test("a log file is created readable by its owner and group only; an existing one keeps its mode", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  const kept = `${dir.path}/kept.log`;
  await Deno.writeTextFile(kept, "");
  await Deno.chmod(kept, 0o644);
  for (const path of [file, kept]) {
    await using _logging = await configureLogging({ consoleLevel: "error", filePath: path });
    jobdLogger().warn("a line");
  }
  assert.equal(LOG_FILE_MODE, 0o640);
  assert.equal((await Deno.stat(file)).mode! & 0o777, await modeAfterUmask(dir.path, 0o640));
  assert.equal((await Deno.stat(kept)).mode! & 0o777, 0o644, "the operator's mode is left");
  assert.equal((await logLines(kept)).length, 1);
});

Deno.test("trace is the most verbose level, and every level reaches the file", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "trace",
      filePath: file,
    });
    const log = jobdLogger();
    log.trace("one");
    log.debug("two");
    log.info("three");
    log.warn("four");
  }
  const levels = (await logLines(file)).map((line) => line.match(/\[(\w+)\]/)?.[1]);
  assert.deepEqual(levels, ["TRC", "DBG", "INF", "WRN"]);
});

Deno.test("the file level defaults to warn", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  {
    await using _logging = await configureLogging({ consoleLevel: "error", filePath: file });
    jobdLogger().info("not written");
    jobdLogger().warn("written");
  }
  const lines = await logLines(file);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /written$/);
});

Deno.test("reconfigure changes levels and files; the old file is closed", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const first = `${dir.path}/first.log`;
  const second = `${dir.path}/second.log`;
  {
    await using logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "warn",
      filePath: first,
    });
    jobdLogger().info("before reload");
    await logging.reconfigure({ consoleLevel: "error", fileLevel: "debug", filePath: first });
    jobdLogger().debug("after reload");
    await logging.reconfigure({ consoleLevel: "error", fileLevel: "debug", filePath: second });
    jobdLogger().debug("in the second file");
    assert.equal(logging.options.filePath, second);
  }
  const firstLines = await logLines(first);
  assert.equal(firstLines.length, 1);
  assert.match(firstLines[0], /after reload$/);
  const secondLines = await logLines(second);
  assert.equal(secondLines.length, 1);
  assert.match(secondLines[0], /in the second file$/);
});

Deno.test("a log file that cannot be opened is an error that keeps the old setup", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  const unreachable = `${dir.path}/missing/jobd.log`;
  await assert.rejects(
    configureLogging({ consoleLevel: "error", filePath: unreachable }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^Cannot open the log file '.*\/missing\/jobd\.log': /);
      return true;
    },
  );
  {
    await using logging = await configureLogging({ consoleLevel: "error", filePath: file });
    await assert.rejects(
      logging.reconfigure({ consoleLevel: "error", filePath: unreachable }),
      /Cannot open the log file/,
    );
    assert.equal(logging.active, true);
    assert.equal(logging.options.filePath, file);
    jobdLogger().warn("still logging");
  }
  assert.match((await logLines(file))[0], /still logging$/);
});

Deno.test("dispose closes the file and ends logging; a second dispose does nothing", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  const logging = await configureLogging({ consoleLevel: "error", filePath: file });
  jobdLogger().warn("before dispose");
  assert.equal(logging.active, true);
  await logging.dispose();
  assert.equal(logging.active, false);
  jobdLogger().warn("after dispose");
  await logging.dispose();
  const lines = await logLines(file);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /before dispose$/);
});

Deno.test("disposing an old setup leaves a newer one alone", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  const old = await configureLogging({ consoleLevel: "error" });
  {
    await using current = await configureLogging({ consoleLevel: "error", filePath: file });
    assert.equal(old.active, false);
    await old.dispose();
    assert.equal(current.active, true);
    jobdLogger().warn("current setup");
  }
  assert.match((await logLines(file))[0], /current setup$/);
});

Deno.test("no password reaches the log file, however it is logged", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  const request = { no: 1, type: "poll", password: "hunter2", data: { targets: ["mail"] } };
  const config = {
    host: "127.0.0.1",
    password: "w0rker-pw",
    storage: { kind: "mysql", password: "db-pa55" },
    mysql_password: "db-pa55",
  };
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "trace",
      filePath: file,
      secrets: [config.password, config.storage.password, undefined, ""],
    });
    const log = jobdLogger("net");
    log.trace("request {request}", { request });
    log.debug("request received", { request });
    log.debug("password given: {password}", { password: request.password });
    log.debug("auth line: password=hunter2 from 127.0.0.1");
    log.debug("frame {frame}", { frame: JSON.stringify([0, request]) });
    log.debug`tagged ${request}`;
    log.info("config {config}", { config });
    log.info("as a map {map}", { map: new Map([["password", "hunter2"]]) });
    log.warn("connect failed: {error}", {
      error: new Error("login with w0rker-pw refused"),
    });
    log.warn("ini line: mysql_password = db-pa55");
  }
  const text = await Deno.readTextFile(file);
  for (const secret of ["hunter2", "w0rker-pw", "db-pa55"]) {
    assert.ok(!text.includes(secret), `'${secret}' leaked into the log:\n${text}`);
  }
  // Every record was written, each with its secret masked and the rest intact.
  const records = (await logLines(file)).filter((line) => /^\d{4}-\d\d-\d\d /.test(line));
  assert.equal(records.length, 10, text);
  assert.equal(records.filter((line) => line.includes(REDACTED)).length, 9, text);
  assert.match(text, /request received/);
  assert.match(text, /type: "poll"/);
  assert.match(text, /"type":"poll"/);
  assert.match(text, /mail/);
  assert.match(text, /host: "127\.0\.0\.1"/);
  assert.match(text, /login with \[redacted\] refused/);
  assert.match(text, /mysql_password = \[redacted\]$/m);
});

Deno.test("the console writes to stderr only, at its own level, and redacts too", async () => {
  const logModule = new URL("./log.ts", import.meta.url).href;
  const script = `
    import { configureLogging, jobdLogger } from ${JSON.stringify(logModule)};
    const logging = await configureLogging({ consoleLevel: "info" });
    jobdLogger("jobctl").debug("debug line");
    jobdLogger("jobctl").info("info line {request}", { request: { password: "hunter2" } });
    jobdLogger("jobctl").error("error line");
    await logging.dispose();
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    cwd: new URL("..", import.meta.url),
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(stdout, "");
  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 2, stderr);
  assert.match(lines[0], /\[INF\] jobd·jobctl: info line \{ password: \[redacted\] \}$/);
  assert.match(lines[1], /\[ERR\] jobd·jobctl: error line$/);
});

/** The local modules `entry` imports, directly or not, relative to src/. */
async function localImports(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    cwd: new URL("..", import.meta.url),
    stdin: "null",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const src = new URL(".", import.meta.url).href;
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith(src))
    .map((specifier) => specifier.slice(src.length));
}

Deno.test("log.ts and config/ do not import each other", async () => {
  const ofLog = await localImports("./log.ts");
  assert.deepEqual(ofLog.filter((path) => path.startsWith("config/")), [], ofLog.join(", "));
  for (const loader of ["worker_config.ts", "master_config.ts", "jobctl_config.ts"]) {
    const ofConfig = await localImports(`./config/${loader}`);
    assert.ok(!ofConfig.includes("log.ts"), `${loader} imports ${ofConfig.join(", ")}`);
  }
});

Deno.test("a notice reaches a sink at the default level warn, but not one at error", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const warnFile = `${dir.path}/warn.log`;
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "warn",
      filePath: warnFile,
    });
    noticeLogger("daemon").info("jobd started");
    jobdLogger("daemon").info("an info line");
  }
  const lines = await logLines(warnFile);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /\[NTC\] jobd·daemon: jobd started$/);
  const errorFile = `${dir.path}/error.log`;
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "error",
      filePath: errorFile,
    });
    noticeLogger("daemon").info("jobd started");
  }
  assert.deepEqual(await logLines(errorFile), []);
});

Deno.test("log_format json writes one JSON object per line to the file, redacted", async () => {
  await using dir = await tempDir("jobd_log_test_");
  const file = `${dir.path}/jobd.log`;
  {
    await using _logging = await configureLogging({
      consoleLevel: "error",
      fileLevel: "info",
      filePath: file,
      format: "json",
      secrets: ["hunter2"],
    });
    jobdLogger("worker").warn("Job {id} failed: {why}", { id: 7, why: "pass hunter2" });
  }
  const [line] = await logLines(file);
  const object = JSON.parse(line);
  assert.equal(object.level, "WARN");
  assert.equal(object.logger, "jobd.worker");
  assert.equal(object.properties.id, 7);
  assert.ok(!line.includes("hunter2"));
});
