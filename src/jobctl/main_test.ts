import assert from "node:assert/strict";
import { DEFAULT_REQUEST_TIMEOUT } from "../config/defaults.ts";
import { MasterDaemon } from "../master/daemon.ts";
import { VERSION } from "../version.ts";
import { commandsOf } from "./commands.ts";
import { ExitCode } from "./help.ts";
import {
  type JobctlEnvironment,
  lookUpCommand,
  noAnswerWithin,
  OutputError,
  resolveSettings,
  runJobctl,
  type Settings,
} from "./main.ts";
import { RequestTimeoutError } from "../net/errors.ts";
import { EotFramer } from "../protocol/framing.ts";
import { decodeMessage, encodeResponse } from "../protocol/messages.ts";
import { PromptCancelledError } from "./password.ts";
import { UsageError } from "./usage_error.ts";

/** Runs jobctl in this process with a home directory of its own; returns status and output. */
async function jobctl(
  args: string[],
  options: { config?: string; askPassword?: () => Promise<string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await Deno.makeTempDir({ prefix: "jobctl-home-" });
  try {
    if (options.config !== undefined) {
      await Deno.writeTextFile(`${home}/.jobctl.conf`, options.config);
    }
    let stdout = "";
    let stderr = "";
    const env: JobctlEnvironment = {
      stdout: (text) => stdout += text,
      stderr: (text) => stderr += text,
      color: false,
      home,
      askPassword: options.askPassword,
    };
    const code = await runJobctl(args, env);
    return { code, stdout, stderr };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

Deno.test("--version prints the version", async () => {
  assert.deepEqual(await jobctl(["--version"]), {
    code: 0,
    stdout: `jobctl ${VERSION}\n`,
    stderr: "",
  });
});

Deno.test("--help lists the worker and master commands, the options and the exit statuses", async () => {
  const { code, stdout } = await jobctl(["--help"]);
  assert.equal(code, ExitCode.Ok);
  assert.match(stdout, /^Worker commands:$/m);
  assert.match(stdout, /^ {2}set-target-concurrency TARGET N +Set how many jobs/m);
  assert.match(stdout, /^Master commands \(with --master\):$/m);
  assert.match(stdout, /^ {2}list-workers +Workers with/m);
  assert.match(stdout, /--timeout SECONDS/);
  assert.match(stdout, /^ {4}3 {2}cannot connect/m);
  assert.match(stdout, /^ {2}130 {2}Ctrl-C/m);
  assert.match(
    stdout.replace(/\s+/g, " "),
    / 1 the daemon refused the request, .* 'retry' refused/,
  );
  // The commands' own options are listed too.
  assert.match(stdout, /^ {2}jobs {2}--target T, --status S, --result R, --limit N$/m);
  assert.match(stdout, /^ {2}add {3}--at TIME, --in DURATION, --set COLUMN=VALUE, --count N$/m);
  // Help fits a terminal of 100 columns.
  for (const line of stdout.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("every command's help fits 100 columns and lists each option the command takes", async () => {
  for (const mode of ["worker", "master"] as const) {
    for (const command of commandsOf(mode)) {
      const flag = mode === "master" ? ["--master"] : [];
      const { code, stdout } = await jobctl([...flag, command.name, "--help"]);
      assert.equal(code, ExitCode.Ok);
      for (const line of stdout.split("\n")) {
        assert.ok(line.length <= 100, `${command.name}: ${line}`);
      }
      for (const option of command.options ?? []) {
        assert.match(stdout, new RegExp(`^ {2}${option.usage} +\\S`, "m"));
      }
    }
  }
});

Deno.test("COMMAND --help shows that command's usage and an example", async () => {
  const { code, stdout } = await jobctl(["send-signal", "--help"]);
  assert.equal(code, ExitCode.Ok);
  assert.match(stdout, /^Usage: jobctl \[OPTIONS\] send-signal ID SIGNAL\.\.\.$/m);
  assert.match(stdout, /^ {2}jobctl send-signal 1021 TERM 1022 KILL$/m);
  const master = await jobctl(["--master", "send-signal", "--help"]);
  assert.match(
    master.stdout,
    /^Usage: jobctl --master \[OPTIONS\] send-signal TARGET:ID:SIGNAL\.\.\.$/m,
  );
});

Deno.test("a command's help is found in the other daemon's list too", async () => {
  const { code, stdout } = await jobctl(["list-workers", "--help"]);
  assert.equal(code, ExitCode.Ok);
  assert.match(stdout, /^Usage: jobctl --master \[OPTIONS\] list-workers$/m);
});

Deno.test("the config file's master = true picks the master's commands", async () => {
  const { stdout } = await jobctl(["pause", "--help"], { config: "master = true\n" });
  assert.match(stdout, /^Usage: jobctl --master \[OPTIONS\] pause/m);
});

Deno.test("an unknown command is a usage error (status 2) that says how to get help", async () => {
  assert.deepEqual(await jobctl(["frobnicate"]), {
    code: ExitCode.Usage,
    stdout: "",
    stderr: "jobctl: unknown worker command 'frobnicate'\nTry 'jobctl --help'\n",
  });
});

Deno.test("a command of the other daemon is a usage error that says which option is missing", async () => {
  const worker = await jobctl(["poke", "build"]);
  assert.equal(worker.code, ExitCode.Usage);
  assert.match(worker.stderr, /^jobctl: 'poke' is a master command: add --master$/m);
  const master = await jobctl(["--master", "list-targets"]);
  assert.equal(master.code, ExitCode.Usage);
  assert.match(master.stderr, /^jobctl: 'list-targets' is a worker command/m);
});

Deno.test("a bad argument is a usage error pointing to the command's help, before any connection", async () => {
  const { code, stderr } = await jobctl(["--port", String(closedPort()), "run-manual", "12", "x"]);
  assert.equal(code, ExitCode.Usage);
  assert.equal(
    stderr,
    "jobctl: invalid job id 'x': expected an integer from 1 to 9007199254740991\nTry 'jobctl run-manual --help'\n",
  );
});

Deno.test("an unreachable daemon exits with status 3 and a message naming host and port", async () => {
  const port = closedPort();
  const { code, stdout, stderr } = await jobctl(["--port", String(port), "list-targets"]);
  assert.equal(code, ExitCode.Unreachable);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    new RegExp(`^jobctl: cannot connect to the worker at 127\\.0\\.0\\.1:${port}: `),
  );
  assert.match(
    stderr,
    /; is the worker running there\? Name its address with --host HOST:PORT \(or host and port in the config file\)\n$/,
  );
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
});

Deno.test("the port comes from the command line, else the config, else 7080 or 7081", () => {
  const none = { askPassword: false, json: false };
  assert.equal(resolveSettings(none, {}, undefined).port, 7080);
  assert.equal(resolveSettings({ ...none, master: true }, {}, undefined).port, 7081);
  assert.equal(resolveSettings(none, { master: true }, undefined).port, 7081);
  assert.equal(resolveSettings({ ...none, master: true }, { port: 9000 }, undefined).port, 9000);
  assert.equal(resolveSettings({ ...none, port: 9001 }, { port: 9000 }, undefined).port, 9001);
  assert.equal(
    resolveSettings({ ...none, master: false }, { master: true }, undefined).mode,
    "worker",
  );
});

Deno.test("host, log level and password come from the command line, else the config, else defaults", () => {
  const none = { askPassword: false, json: false };
  const defaults = resolveSettings(none, {}, undefined);
  assert.equal(defaults.host, "127.0.0.1");
  assert.equal(defaults.logLevel, "warn");
  assert.equal(defaults.password, undefined);
  const configured = resolveSettings(none, { host: "h1", logLevel: "info" }, "pw");
  assert.deepEqual([configured.host, configured.logLevel, configured.password], [
    "h1",
    "info",
    "pw",
  ]);
  const given = resolveSettings({ ...none, host: "h2", logLevel: "error" }, { host: "h1" }, "");
  assert.deepEqual([given.host, given.logLevel, given.password], ["h2", "error", undefined]);
});

Deno.test("the timeout is 35 s unless given; --timeout 0 waits for ever", () => {
  const none = { askPassword: false, json: false };
  assert.deepEqual(
    [
      resolveSettings(none, {}, undefined).timeout,
      resolveSettings(none, {}, undefined).timeoutGiven,
    ],
    [35, false],
  );
  assert.equal(resolveSettings({ ...none, timeout: 0 }, {}, undefined).timeout, undefined);
  const given = resolveSettings({ ...none, timeout: 2.5 }, {}, undefined);
  assert.deepEqual([given.timeout, given.timeoutGiven], [2.5, true]);
});

Deno.test("jobctl waits longer than the master waits for a worker, so the master's error arrives", () => {
  // A frozen worker: the master answers after its request_timeout with an
  // error naming the worker; jobctl must still be listening then.
  const timeout = resolveSettings({ askPassword: false, json: false }, {}, undefined).timeout;
  assert.ok(timeout !== undefined && timeout >= DEFAULT_REQUEST_TIMEOUT + 5, `${timeout}`);
});

Deno.test("a broken config file is a usage error naming the file and the key", async () => {
  const { code, stderr } = await jobctl(["status"], { config: "port = many\n" });
  assert.equal(code, ExitCode.Usage);
  assert.match(stderr, /^jobctl: config parsing error: .*\.jobctl\.conf: 'port'/);
});

Deno.test("--config names a file that must exist", async () => {
  const { code, stderr } = await jobctl(["--config", "/nonexistent/jobctl.conf", "status"]);
  assert.equal(code, ExitCode.Usage);
  assert.equal(stderr, "jobctl: config parsing error: /nonexistent/jobctl.conf: file not found\n");
});

Deno.test("--password asks for the password before connecting; Ctrl-C cancels with status 130", async () => {
  let asked = 0;
  const { code } = await jobctl(["--password", "--port", String(closedPort()), "status"], {
    askPassword: () => {
      asked++;
      return Promise.resolve("secret");
    },
  });
  assert.equal(asked, 1);
  assert.equal(code, ExitCode.Unreachable);
  const cancelled = await jobctl(["--password", "status"], {
    askPassword: () => Promise.reject(new PromptCancelledError()),
  });
  assert.equal(cancelled.code, ExitCode.Cancelled);
  assert.equal(cancelled.stderr, "jobctl: cancelled at the password prompt\n");
});

Deno.test("lookUpCommand finds commands by mode", () => {
  assert.equal(lookUpCommand("master", "poke").mode, "master");
  assert.equal(lookUpCommand("worker", "pause").mode, "worker");
  assert.throws(() => lookUpCommand("worker", "nope"), UsageError);
});

/** A TCP server on a free loopback port that accepts connections and does `onConnection` with each. */
function silentServer(onConnection: (conn: Deno.Conn) => void) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      onConnection(conn);
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
    },
  };
}

Deno.test("a daemon that never answers exits with status 3 after --timeout", async () => {
  await using server = silentServer(() => {});
  const { code, stderr } = await jobctl([
    "--port",
    String(server.port),
    "--timeout",
    "0.2",
    "status",
  ]);
  assert.equal(code, ExitCode.Unreachable);
  assert.equal(
    stderr,
    `jobctl: no answer from the worker at 127.0.0.1:${server.port}: request 'status' got no ` +
      "response within 0.2 s (--timeout; give a longer one, or 0 to wait for ever)\n",
  );
});

Deno.test("no answer from a master within the default --timeout: a longer request_timeout needs a longer --timeout", () => {
  const settings: Settings = {
    mode: "master",
    host: "127.0.0.1",
    port: 7081,
    password: undefined,
    logLevel: "warn",
    json: false,
    timeout: 35,
    timeoutGiven: false,
  };
  assert.equal(
    noAnswerWithin(new RequestTimeoutError("poke", 35), settings),
    "no answer from the master at 127.0.0.1:7081: request 'poke' got no response within 35 s " +
      "(the default --timeout; a master whose request_timeout is over 30 s may answer later: " +
      "give a longer --timeout, or 0 to wait for ever)",
  );
  assert.equal(
    noAnswerWithin(new RequestTimeoutError("poke", 90), { ...settings, timeoutGiven: true }),
    "no answer from the master at 127.0.0.1:7081: request 'poke' got no response within 90 s " +
      "(--timeout; give a longer one, or 0 to wait for ever)",
  );
});

Deno.test("a daemon that closes the connection unanswered exits with status 3", async () => {
  await using server = silentServer((conn) => conn.close());
  const { code, stderr } = await jobctl(["--master", "--port", String(server.port), "poke", "a"]);
  assert.equal(code, ExitCode.Unreachable);
  assert.match(
    stderr,
    new RegExp(`^jobctl: no answer from the master at 127\\.0\\.0\\.1:${server.port}: `),
  );
});

Deno.test("a worker command answered by a master is refused with a hint, not shown half empty", async () => {
  await using master = MasterDaemon.start({
    host: "127.0.0.1",
    port: 0,
    password: undefined,
    alwaysAllowLocalhost: false,
    pingInterval: 30,
    pokeThrottleInterval: 0.5,
    maxConnections: 1000,
    requestTimeout: 30,
    logLevelFile: "warn",
    logLevelConsole: "warn",
    logFormat: "text",
  });
  const port = master.server.addr.port;
  for (const command of ["list-targets", "memory-usage", "status"]) {
    assert.deepEqual(await jobctl(["--port", String(port), command]), {
      code: ExitCode.Failed,
      stdout: "",
      stderr: `jobctl: unexpected answer from the worker at 127.0.0.1:${port} to '${command}': ` +
        "it answers like a master: add --master\n",
    });
  }
});

Deno.test("a failure to write stdout is said on stderr, as JSON with --json, with status 1", async () => {
  const run = async (args: string[], failure: Error) => {
    let stderr = "";
    const code = await runJobctl(args, {
      stdout: () => {
        throw failure;
      },
      stderr: (text) => stderr += text,
      color: false,
    });
    return { code, stderr };
  };
  const full = new OutputError(new Error("No space left on device (os error 28)"));
  assert.deepEqual(await run(["--version"], full), {
    code: ExitCode.Failed,
    stderr: "jobctl: cannot write the output to stdout: No space left on device (os error 28)\n",
  });
  assert.deepEqual(await run(["--json", "--version"], full), {
    code: ExitCode.Failed,
    stderr:
      '{"error":"cannot write the output to stdout: No space left on device (os error 28)"}\n',
  });
  // Any other surprise (a bug of ours) is one JSON line with --json too, never a rejection.
  assert.deepEqual(await run(["--version", "--json"], new TypeError("x.map is not a function")), {
    code: ExitCode.Failed,
    stderr: '{"error":"unexpected error: x.map is not a function"}\n',
  });
});

/** Answers every request on `conn` with `data`, as a daemon of another kind or version might. */
async function answerWith(conn: Deno.Conn, data: unknown): Promise<void> {
  const framer = new EotFramer();
  try {
    for await (const chunk of conn.readable) {
      for (const bytes of framer.push(chunk)) {
        const message = decodeMessage(bytes);
        if (message.kind !== "request") continue;
        await conn.write(encodeResponse({ no: message.request.no, data }));
      }
    }
  } catch {
    // jobctl closed the connection.
  }
}

Deno.test("a table command's answer of the wrong shape is an unexpected answer, never a crash", async () => {
  const cases: [string[], unknown, string][] = [
    [["jobs"], { jobs: 5 }, "expected a list of jobs, with 'jobs' (an array)"],
    [["show", "7"], { job: "7" }, "expected a job, with 'job' (an object)"],
    [["stats"], { targets: [] }, "expected counts per target, with 'targets' (an object)"],
    [["retry", "7"], { retried: 7 }, "expected the jobs retried, with 'retried' (an array)"],
    [["add", "build"], { ids: "8" }, "expected the new jobs' ids, with 'ids' (an array)"],
  ];
  for (const [args, data, expected] of cases) {
    await using server = silentServer((conn) => void answerWith(conn, data));
    const name = args[0];
    assert.deepEqual(await jobctl(["--port", String(server.port), ...args]), {
      code: ExitCode.Failed,
      stdout: "",
      stderr: `jobctl: unexpected answer from the worker at 127.0.0.1:${server.port} to ` +
        `'${name}': ${expected}\n`,
    });
  }
});
