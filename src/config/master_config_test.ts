import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { loadMasterConfig, type MasterConfig, parseMasterConfig } from "./master_config.ts";

/** How a whole number must be written, as errors say. */
const INTEGER = "in decimal digits only (such as 100; no point or exponent)";

const FILE = "/etc/jobd-master.conf";

/** How the keys that reach a timer state their limit. */
const TIMER_LIMIT = "and at most 2147483 seconds (about 24 days, the longest a timer waits), " +
  "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";
/** How `ping_interval`, a period, states its range. */
const PING_RANGE = "a number from 0.05 to 2147483 seconds (at least 0.05: a shorter period " +
  "keeps the daemon busy for nothing; at most about 24 days, the longest a timer waits), in " +
  "decimal digits with an optional point (such as 30 or 0.5; no exponent)";

function assertConfigError(text: string, message: string): void {
  assert.throws(() => parseMasterConfig(text, FILE), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("a minimal master config gets every default", () => {
  const { config, warnings } = parseMasterConfig("host = 127.0.0.1\nport = 7081\n", FILE);
  const expected: MasterConfig = {
    host: "127.0.0.1",
    port: 7081,
    password: undefined,
    alwaysAllowLocalhost: false,
    pingInterval: 30,
    pokeThrottleInterval: 0.5,
    maxConnections: 1000,
    requestTimeout: 30,
    logFile: undefined,
    logLevelFile: "warn",
    logLevelConsole: "warn",
    logFormat: "text",
  };
  assert.deepStrictEqual(config, expected);
  assert.deepEqual(warnings, []);
});

Deno.test("every key of a full master config is read", () => {
  const { config, warnings } = parseMasterConfig(
    `
host = 0.0.0.0
port = 17081
password = m4ster
always_allow_localhost = 1
ping_interval = 2.5
poke_throttle_interval = 0
max_connections = 50
request_timeout = 2.5
log_file = /var/log/jobd-master.log
log_level_file = debug
log_level_console = trace
`,
    FILE,
  );
  assert.deepStrictEqual(config, {
    host: "0.0.0.0",
    port: 17081,
    password: "m4ster",
    alwaysAllowLocalhost: true,
    pingInterval: 2.5,
    pokeThrottleInterval: 0,
    maxConnections: 50,
    requestTimeout: 2.5,
    logFile: "/var/log/jobd-master.log",
    logLevelFile: "debug",
    logLevelConsole: "trace",
    logFormat: "text",
  });
  assert.deepEqual(warnings, []);
});

Deno.test("host and port are required", () => {
  assertConfigError("port = 7081\n", "/etc/jobd-master.conf: 'host' is not defined");
  assertConfigError("host = 127.0.0.1\n", "/etc/jobd-master.conf: 'port' is not defined");
});

Deno.test("invalid master values are reported with key, rule and value", () => {
  const base = "host = 127.0.0.1\nport = 7081\n";
  assertConfigError(
    `${base}request_timeout = 0\n`,
    `/etc/jobd-master.conf: 'request_timeout' must be a number > 0 ${TIMER_LIMIT}, got '0'`,
  );
  assertConfigError(
    `${base}max_connections = 0\n`,
    `/etc/jobd-master.conf: 'max_connections' must be an integer >= 1, ${INTEGER}, got '0'`,
  );
  assertConfigError(
    `${base}ping_interval = 0\n`,
    `/etc/jobd-master.conf: 'ping_interval' must be ${PING_RANGE}, got '0'`,
  );
  assertConfigError(
    `${base}ping_interval = 0.001\n`,
    `/etc/jobd-master.conf: 'ping_interval' must be ${PING_RANGE}, got '0.001'`,
  );
  assertConfigError(
    `${base}poke_throttle_interval = -0.5\n`,
    `/etc/jobd-master.conf: 'poke_throttle_interval' must be a number >= 0 ${TIMER_LIMIT}, got '-0.5'`,
  );
  assertConfigError(
    `${base}always_allow_localhost = on\n`,
    "/etc/jobd-master.conf: 'always_allow_localhost' must be a boolean (1, 0, true or false), got 'on'",
  );
  assertConfigError(
    "host = 127.0.0.1\nport = 70810\n",
    "/etc/jobd-master.conf: 'port' must be a port number from 1 to 65535, got '70810'",
  );
});

Deno.test("worker-only keys in a master config are unknown keys", () => {
  const { warnings } = parseMasterConfig(
    "host = 127.0.0.1\nport = 7081\nmysql_host = db\n[targets]\na = 1\n",
    FILE,
  );
  assert.deepEqual(warnings, [
    "/etc/jobd-master.conf: unknown key 'mysql_host' is ignored",
    "/etc/jobd-master.conf: unknown section [targets] is ignored",
  ]);
});

Deno.test("a key given twice in a master config is a warning; the last value is used", () => {
  const { config, warnings } = parseMasterConfig(
    "host = 127.0.0.1\nport = 27082\nport = 27083\n",
    FILE,
  );
  assert.equal(config.port, 27083);
  assert.deepEqual(warnings, [
    "/etc/jobd-master.conf: 'port' is given twice (lines 2 and 3): the value of line 3 is used",
  ]);
});

Deno.test("loadMasterConfig reads the file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".conf" });
  try {
    await Deno.writeTextFile(path, "host = ::1\nport = 7081\n");
    const { config } = await loadMasterConfig(path);
    assert.equal(config.host, "::1");
    assert.equal(config.port, 7081);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a missing master config file names the example to start from", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadMasterConfig(`${dir}/jobd-master.conf`), {
      message: `${dir}/jobd-master.conf: file not found ` +
        "(start from examples/jobd-master.conf.example in jobd's source)",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
