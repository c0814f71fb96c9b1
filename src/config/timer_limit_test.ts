import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { parseMasterConfig } from "./master_config.ts";
import { MAX_TIMER_MS, MAX_TIMER_SECONDS, MIN_PERIOD_SECONDS } from "./timer_limit.ts";
import { parseWorkerConfig } from "./worker_config.ts";

const WORKER_FILE = "/etc/jobd.conf";
const MASTER_FILE = "/etc/jobd-master.conf";

const WORKER = `
host = 127.0.0.1
port = 7080
mysql_host = db.local
mysql_port = 3307
mysql_user = jobd
mysql_password =
mysql_database = jobs_db
launcher = /usr/bin/run-job {id}
`;

const MASTER = "host = 127.0.0.1\nport = 7081\n";

function refused(parse: () => unknown, message: string): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

const FLOOR = "at least 0.05: a shorter period keeps the daemon busy for nothing";

/** The upper limit as a period's range ends it. */
const PERIOD_LIMIT = "about 24 days, the longest a timer waits), " +
  "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";

const LIMIT = "at most 2147483 seconds (about 24 days, the longest a timer waits), " +
  "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";

Deno.test("the limit is the longest delay a JavaScript timer keeps, in whole seconds", () => {
  assert.equal(MAX_TIMER_MS, 2_147_483_647);
  assert.equal(MAX_TIMER_SECONDS, 2_147_483);
});

Deno.test("worker keys that reach a timer may be 2147483 seconds, and no more", () => {
  const worker = (line: string) => parseWorkerConfig(`${WORKER}${line}\n`, WORKER_FILE).config;
  assert.equal(worker("poll_interval = 2147483").pollInterval, 2147483);
  assert.equal(worker("shutdown_timeout = 2147483").shutdownTimeout, 2147483);
  for (const value of ["3000000", "2147483.5"]) {
    refused(
      () => worker(`shutdown_timeout = ${value}`),
      `${WORKER_FILE}: 'shutdown_timeout' must be a number >= 0 and ${LIMIT}, got '${value}'`,
    );
    refused(
      () => worker(`poll_interval = ${value}`),
      `${WORKER_FILE}: 'poll_interval' must be 0 or a number from 0.05 to 2147483 seconds ` +
        `(${FLOOR}; at most ${PERIOD_LIMIT}, got '${value}'`,
    );
  }
});

Deno.test("master_reconnect_timeout may be half that: the worker waits twice it for the master", () => {
  const worker = (line: string) => parseWorkerConfig(`${WORKER}${line}\n`, WORKER_FILE).config;
  assert.equal(worker("master_reconnect_timeout = 1073741").masterReconnectTimeout, 1073741);
  refused(
    () => worker("master_reconnect_timeout = 1073742"),
    `${WORKER_FILE}: 'master_reconnect_timeout' must be a number from 0.05 to 1073741 ` +
      `seconds (${FLOOR}; at most about 12 days, half the longest a timer waits: the worker ` +
      "waits twice this long for the master's answers), in decimal digits with an optional " +
      "point (such as 30 or 0.5; no exponent), got '1073742'",
  );
});

Deno.test("master keys that reach a timer may be 2147483 seconds, and no more", () => {
  const master = (line: string) => parseMasterConfig(`${MASTER}${line}\n`, MASTER_FILE).config;
  assert.equal(master("ping_interval = 2147483").pingInterval, 2147483);
  assert.equal(master("poke_throttle_interval = 2147483").pokeThrottleInterval, 2147483);
  assert.equal(master("request_timeout = 2147483").requestTimeout, 2147483);
  refused(
    () => master("ping_interval = 3000000"),
    `${MASTER_FILE}: 'ping_interval' must be a number from 0.05 to 2147483 seconds ` +
      `(${FLOOR}; at most ${PERIOD_LIMIT}, got '3000000'`,
  );
  const cases = [
    ["poke_throttle_interval", ">="],
    ["request_timeout", ">"],
  ];
  for (const [key, above] of cases) {
    refused(
      () => master(`${key} = 3000000`),
      `${MASTER_FILE}: '${key}' must be a number ${above} 0 and ${LIMIT}, got '3000000'`,
    );
  }
});

Deno.test("keys that set a period take no less than 0.05 seconds: shorter would keep a daemon busy", () => {
  assert.equal(MIN_PERIOD_SECONDS, 0.05);
  const worker = (line: string) => parseWorkerConfig(`${WORKER}${line}\n`, WORKER_FILE).config;
  const master = (line: string) => parseMasterConfig(`${MASTER}${line}\n`, MASTER_FILE).config;
  assert.equal(worker("poll_interval = 0.05").pollInterval, 0.05);
  assert.equal(worker("poll_interval = 0").pollInterval, 0, "0 still turns the polls off");
  assert.equal(worker("master_reconnect_timeout = 0.05").masterReconnectTimeout, 0.05);
  assert.equal(master("ping_interval = 0.05").pingInterval, 0.05);
  const tooShort = [
    () => worker("poll_interval = 0.001"),
    () => worker("poll_interval = 0.049"),
    () => worker("master_reconnect_timeout = 0.001"),
    () => master("ping_interval = 0.001"),
  ];
  for (const parse of tooShort) {
    assert.throws(parse, (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
      assert.match(error.message, /^\/etc\/jobd(-master)?\.conf: '\w+' must be .*from 0\.05 to /);
      assert.ok(error.message.includes(FLOOR), error.message);
      return true;
    });
  }
  // Keys that set no period keep taking small values: one wait, not a loop.
  assert.equal(worker("shutdown_timeout = 0.001").shutdownTimeout, 0.001);
  assert.equal(master("poke_throttle_interval = 0.001").pokeThrottleInterval, 0.001);
  assert.equal(master("request_timeout = 0.001").requestTimeout, 0.001);
});
