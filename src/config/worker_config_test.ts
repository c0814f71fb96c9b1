import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { DEFAULT_JOB_POLICY } from "./job_policy.ts";
import { loadWorkerConfig, parseWorkerConfig, type WorkerConfig } from "./worker_config.ts";

/** How a whole number must be written, as errors say. */
const INTEGER = "in decimal digits only (such as 100; no point or exponent)";

const FILE = "/etc/jobd.conf";
const WORKER_NAME =
  "a non-empty string of at most 255 characters, without control or invisible characters";

/** How the keys that reach a timer state their limit. */
const TIMER_LIMIT = "and at most 2147483 seconds (about 24 days, the longest a timer waits), " +
  "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";
/** How the keys that set a period state their range: at least 0.05 s, at most what a timer waits. */
const PERIOD_FLOOR = "at least 0.05: a shorter period keeps the daemon busy for nothing";
const POLL_RANGE = `0 or a number from 0.05 to 2147483 seconds (${PERIOD_FLOOR}; at most about ` +
  "24 days, the longest a timer waits), in decimal digits with an optional point (such as 30 " +
  "or 0.5; no exponent)";
const RECONNECT_RANGE = `a number from 0.05 to 1073741 seconds (${PERIOD_FLOOR}; at most about ` +
  "12 days, half the longest a timer waits: the worker waits twice this long for the master's " +
  "answers), in decimal digits with an optional point (such as 30 or 0.5; no exponent)";

/** The keys a MySQL-backed worker must have. */
const MINIMAL = `
host = 127.0.0.1
port = 7080
mysql_host = db.local
mysql_port = 3307
mysql_user = jobd
mysql_password =
mysql_database = jobs_db
launcher = /usr/bin/run-job {id}
`;

function parse(text: string) {
  return parseWorkerConfig(text, FILE, { defaultName: "this-host" });
}

function assertConfigError(text: string, message: string): void {
  assert.throws(() => parse(text), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

/** MINIMAL with some keys' lines removed. */
function without(...keys: string[]): string {
  return MINIMAL.split("\n").filter((line) => !keys.some((key) => line.startsWith(`${key} `)))
    .join("\n");
}

Deno.test("a minimal worker config gets every default", () => {
  const { config, warnings } = parse(MINIMAL);
  const expected: WorkerConfig = {
    host: "127.0.0.1",
    port: 7080,
    password: undefined,
    alwaysAllowLocalhost: false,
    maxConnections: 1000,
    name: "this-host",
    masterHost: undefined,
    masterPort: undefined,
    masterReconnectTimeout: 10,
    logFile: undefined,
    logLevelFile: "warn",
    logLevelConsole: "warn",
    logFormat: "text",
    storage: {
      kind: "mysql",
      host: "db.local",
      port: 3307,
      user: "jobd",
      password: "",
      database: "jobs_db",
      table: "jobs",
    },
    fetchLimit: 100,
    launcher: "/usr/bin/run-job {id}",
    launcherCwd: undefined,
    launcherEnv: {},
    maxOutputBuffer: 1048576,
    targets: new Map(),
    pollInterval: 60,
    shutdownTimeout: 30,
    recoverRunning: "fail",
    jobPolicy: DEFAULT_JOB_POLICY,
    targetPolicies: new Map(),
    configFile: FILE,
  };
  assert.deepStrictEqual(config, expected);
  assert.deepEqual(warnings, []);
});

Deno.test("every key of a full worker config is read", () => {
  const { config, warnings } = parse(`
host = 0.0.0.0
port = 17080
password = s3cret
always_allow_localhost = true
name = worker-1
max_connections = 20
master_host = master.local
master_port = 17081
master_reconnect_timeout = 2.5
log_file = /var/log/jobd.log
log_level_file = info
log_level_console = error
storage = mysql
mysql_host = db.local
mysql_port = 3306
mysql_user = jobd
mysql_password = dbpass
mysql_database = app
mysql_table = queue_jobs
mysql_fetch_limit = 25
launcher = php /app/launcher.php --id={id}
launcher.cwd = /app
launcher.env.APP_ENV = production
launcher.env.EMPTY =
launcher.env.WITH_EQUALS = a=b
max_output_buffer = 4096
poll_interval = 0
shutdown_timeout = 5
recover_running = requeue

[targets]
low = 1
high = 8
`);
  assert.deepStrictEqual(config, {
    host: "0.0.0.0",
    port: 17080,
    password: "s3cret",
    alwaysAllowLocalhost: true,
    maxConnections: 20,
    name: "worker-1",
    masterHost: "master.local",
    masterPort: 17081,
    masterReconnectTimeout: 2.5,
    logFile: "/var/log/jobd.log",
    logLevelFile: "info",
    logLevelConsole: "error",
    logFormat: "text",
    storage: {
      kind: "mysql",
      host: "db.local",
      port: 3306,
      user: "jobd",
      password: "dbpass",
      database: "app",
      table: "queue_jobs",
    },
    fetchLimit: 25,
    launcher: "php /app/launcher.php --id={id}",
    launcherCwd: "/app",
    launcherEnv: { APP_ENV: "production", EMPTY: "", WITH_EQUALS: "a=b" },
    maxOutputBuffer: 4096,
    targets: new Map([["low", 1], ["high", 8]]),
    pollInterval: 0,
    shutdownTimeout: 5,
    recoverRunning: "requeue",
    jobPolicy: DEFAULT_JOB_POLICY,
    targetPolicies: new Map(),
    configFile: FILE,
  });
  assert.deepEqual(warnings, []);
});

Deno.test("targets keep their file order", () => {
  const { config } = parse(`${MINIMAL}\n[targets]\nz = 1\na = 2\nm = 3\n`);
  assert.deepEqual([...config.targets.keys()], ["z", "a", "m"]);
});

Deno.test("the worker name defaults to the host name", () => {
  const { config } = parseWorkerConfig(MINIMAL, FILE);
  assert.equal(config.name, Deno.hostname());
});

Deno.test("an empty password means no password", () => {
  assert.equal(parse(`${MINIMAL}password =\n`).config.password, undefined);
});

Deno.test("sqlite storage needs sqlite_path and no mysql keys", () => {
  const { config, warnings } = parse(`
host = 127.0.0.1
port = 7080
storage = sqlite
sqlite_path = /var/lib/jobd/jobs.db
launcher = run {id}
`);
  assert.deepStrictEqual(config.storage, {
    kind: "sqlite",
    path: "/var/lib/jobd/jobs.db",
    table: "jobs",
  });
  assert.deepEqual(warnings, []);
});

Deno.test("mysql keys are ignored, with a warning each, when storage = sqlite", () => {
  const { config, warnings } = parse(`${MINIMAL}storage = sqlite\nsqlite_path = jobs.db\n`);
  assert.equal(config.storage.kind, "sqlite");
  assert.deepEqual(warnings, [
    "/etc/jobd.conf: 'mysql_host' is ignored with storage = sqlite",
    "/etc/jobd.conf: 'mysql_port' is ignored with storage = sqlite",
    "/etc/jobd.conf: 'mysql_user' is ignored with storage = sqlite",
    "/etc/jobd.conf: 'mysql_password' is ignored with storage = sqlite",
    "/etc/jobd.conf: 'mysql_database' is ignored with storage = sqlite",
  ]);
});

Deno.test("sqlite_path is ignored, with a warning, when storage = mysql", () => {
  const { warnings } = parse(`${MINIMAL}sqlite_path = jobs.db\n`);
  assert.deepEqual(warnings, ["/etc/jobd.conf: 'sqlite_path' is ignored with storage = mysql"]);
});

Deno.test("unknown keys and sections are warnings, not errors", () => {
  const { warnings } = parse(
    `${MINIMAL}mysql_pasword = typo\nlauncher.envFOO = x\n[extra]\na = 1\n`,
  );
  assert.deepEqual(warnings, [
    "/etc/jobd.conf: unknown key 'mysql_pasword' is ignored",
    "/etc/jobd.conf: unknown key 'launcher.envFOO' is ignored",
    "/etc/jobd.conf: unknown section [extra] is ignored",
  ]);
});

Deno.test("a [launcher.env] section is ignored with a warning that says how the variables are written", () => {
  const { config, warnings } = parse(
    `${MINIMAL}[targets]\nmail = 1\n\n[launcher.env]\nAPP_ENV = production\nDB_PASSWORD = s3cret\n`,
  );
  const line = MINIMAL.split("\n").length + 3;
  assert.deepEqual(config.launcherEnv, {});
  assert.deepEqual(warnings, [
    `/etc/jobd.conf: unknown section [launcher.env] (line ${line}) is ignored: write its ` +
    "variables as 'launcher.env.NAME = value' keys before the first section " +
    "('launcher.env.APP_ENV = ...' for its 'APP_ENV')",
  ]);
  assert.ok(!warnings.join("\n").includes("production"), "values are not repeated");
  const empty = parse(`${MINIMAL}['launcher.env']\n`).warnings;
  assert.deepEqual(empty, [
    `/etc/jobd.conf: unknown section [launcher.env] (line ${line - 3}) is ignored: write its ` +
    "variables as 'launcher.env.NAME = value' keys before the first section",
  ]);
  const pasted = parse(`${MINIMAL}[launcher.env]\ns3cr3t-word\n`).warnings;
  assert.deepEqual(pasted, empty, "a word without a value is no example: it may be a secret");
  const written = parse(`${MINIMAL}launcher.env.APP_ENV = production\n`);
  assert.deepEqual(written.config.launcherEnv, { APP_ENV: "production" });
  assert.deepEqual(written.warnings, []);
});

Deno.test("a launcher without {id} is a warning", () => {
  const { warnings } = parse(`${without("launcher")}\nlauncher = /usr/bin/true\n`);
  assert.deepEqual(warnings, [
    "/etc/jobd.conf: 'launcher' has no '{id}': every job runs the same command",
  ]);
});

Deno.test("every required key is reported when missing", () => {
  for (
    const key of [
      "host",
      "port",
      "mysql_host",
      "mysql_port",
      "mysql_user",
      "mysql_password",
      "mysql_database",
      "launcher",
    ]
  ) {
    assertConfigError(without(key), `/etc/jobd.conf: '${key}' is not defined`);
  }
  assertConfigError(
    `${MINIMAL}storage = sqlite\n`,
    "/etc/jobd.conf: 'sqlite_path' is not defined",
  );
});

Deno.test("required keys must not be empty, except mysql_password", () => {
  assertConfigError(
    `${without("host")}\nhost =\n`,
    "/etc/jobd.conf: 'host' must be a non-empty string, got ''",
  );
  assertConfigError(
    `${without("mysql_user")}\nmysql_user =\n`,
    "/etc/jobd.conf: 'mysql_user' must be a non-empty string, got ''",
  );
});

Deno.test("invalid values are reported with key, rule and value", () => {
  const cases: [string, string][] = [
    ["port = 0", "'port' must be a port number from 1 to 65535, got '0'"],
    ["mysql_port = 99999", "'mysql_port' must be a port number from 1 to 65535, got '99999'"],
    ["mysql_fetch_limit = 0", `'mysql_fetch_limit' must be an integer >= 1, ${INTEGER}, got '0'`],
    [
      "max_output_buffer = 1MB",
      `'max_output_buffer' must be an integer >= 1, ${INTEGER}, got '1MB'`,
    ],
    [
      "master_reconnect_timeout = 0",
      `'master_reconnect_timeout' must be ${RECONNECT_RANGE}, got '0'`,
    ],
    [
      "master_reconnect_timeout = 0.01",
      `'master_reconnect_timeout' must be ${RECONNECT_RANGE}, got '0.01'`,
    ],
    ["poll_interval = -1", `'poll_interval' must be ${POLL_RANGE}, got '-1'`],
    ["poll_interval = 0.001", `'poll_interval' must be ${POLL_RANGE}, got '0.001'`],
    [
      "poll_interval = 1e3",
      `'poll_interval' must be ${POLL_RANGE}, got '1e3': write it as 1000`,
    ],
    [
      "max_output_buffer = 1e6",
      `'max_output_buffer' must be an integer >= 1, ${INTEGER}, got '1e6': write it as 1000000`,
    ],
    [
      "shutdown_timeout = later",
      `'shutdown_timeout' must be a number >= 0 ${TIMER_LIMIT}, got 'later'`,
    ],
    [
      "always_allow_localhost = yes",
      "'always_allow_localhost' must be a boolean (1, 0, true or false), got 'yes'",
    ],
    [
      "log_level_file = verbose",
      "'log_level_file' must be one of 'trace', 'debug', 'info', 'warn', 'error', got 'verbose'",
    ],
    [
      "log_level_console = warning",
      "'log_level_console' must be one of 'trace', 'debug', 'info', 'warn', 'error', got 'warning'",
    ],
    ["storage = postgres", "'storage' must be one of 'mysql', 'sqlite', got 'postgres'"],
    [
      `name = ${"w".repeat(256)}`,
      `'name' must be ${WORKER_NAME}, got '${"w".repeat(256)}': it has 256 characters, more than ` +
      "the 255 a worker name may have",
    ],
    [
      "name = evil\u202e",
      `'name' must be ${WORKER_NAME}, got 'evil\\u202e': it contains U+202E, an invisible format ` +
      "character (such as a bidirectional override or a zero-width space), which changes how " +
      "the text around it reads",
    ],
    [
      "name = w\u0007bell",
      `'name' must be ${WORKER_NAME}, got 'w\\x07bell': it contains the control character U+0007`,
    ],
    [
      "name = w\u0085next",
      `'name' must be ${WORKER_NAME}, got 'w\\x85next': it contains the control character U+0085`,
    ],
    [
      "recover_running = retry",
      "'recover_running' must be one of 'fail', 'requeue', got 'retry'",
    ],
    [
      "mysql_table = jobs`x",
      "'mysql_table' must be a table name (letters, digits, '_' and '$', at most 64), got 'jobs`x'",
    ],
    [
      "mysql_table = my-jobs",
      "'mysql_table' must be a table name (letters, digits, '_' and '$', at most 64), got 'my-jobs'",
    ],
  ];
  for (const [line, message] of cases) {
    const key = line.slice(0, line.indexOf(" "));
    assertConfigError(`${without(key)}\n${line}\n`, `/etc/jobd.conf: ${message}`);
  }
});

Deno.test("the worker name may hold any printable character, as the master takes it", () => {
  for (const name of ["worker-1", "café de nuit", "w😀"]) {
    assert.equal(parse(`${without("name")}\nname = ${name}\n`).config.name, name);
  }
});

Deno.test("master_host and master_port come together", () => {
  assertConfigError(
    `${MINIMAL}master_host = master.local\n`,
    "/etc/jobd.conf: 'master_port' is not defined: it is required with 'master_host'",
  );
  assertConfigError(
    `${MINIMAL}master_port = 7081\n`,
    "/etc/jobd.conf: 'master_host' is not defined: it is required with 'master_port'",
  );
});

Deno.test("targets: concurrency is an integer from 1 to 10000 and names are real names", () => {
  assertConfigError(
    `${MINIMAL}[targets]\nfoo = 0\n`,
    `/etc/jobd.conf: 'foo' in [targets] must be an integer from 1 to 10000, ${INTEGER}, got '0'`,
  );
  assertConfigError(
    `${MINIMAL}[targets]\nfoo = two\n`,
    `/etc/jobd.conf: 'foo' in [targets] must be an integer from 1 to 10000, ${INTEGER}, got 'two'`,
  );
  assertConfigError(
    `${MINIMAL}[targets]\nfoo\n`,
    "/etc/jobd.conf: line 11 in [targets] has no concurrency: write 'NAME = concurrency' (the " +
      "line's text is not shown, as it may be a secret)",
  );
  assertConfigError(
    `${MINIMAL}[targets]\nnull = 1\n`,
    "/etc/jobd.conf: 'null' in [targets] is not a valid target name",
  );
  assertConfigError(
    `${MINIMAL}[targets]\n = 1\n`,
    "/etc/jobd.conf: a target in [targets] has an empty name",
  );
});

Deno.test("a launcher.env key must name a variable", () => {
  assertConfigError(
    `${MINIMAL}launcher.env. = x\n`,
    "/etc/jobd.conf: 'launcher.env.' names no variable: write 'launcher.env.NAME = value'",
  );
});

Deno.test("loadWorkerConfig reads the file and checks launcher.cwd", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/jobd.conf`;
  try {
    await Deno.writeTextFile(path, `${MINIMAL}launcher.cwd = ${dir}\n`);
    const { config } = await loadWorkerConfig(path, { defaultName: "n" });
    assert.equal(config.launcherCwd, dir);

    await Deno.writeTextFile(path, `${MINIMAL}launcher.cwd = ${dir}/missing\n`);
    await assert.rejects(loadWorkerConfig(path, { defaultName: "n" }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${path}: 'launcher.cwd' is not a directory: '${dir}/missing'`);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadWorkerConfig reports a missing file by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadWorkerConfig(`${dir}/jobd.conf`), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        `${dir}/jobd.conf: file not found (start from examples/jobd.conf.example in jobd's source)`,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
