/** The worker config's timeout and retry keys: top level, and per target in [target:NAME]. */

import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { parseWorkerConfig } from "./worker_config.ts";

const FILE = "/etc/jobd.conf";

/** How a number must be written, as errors say. */
const DECIMAL = "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";

/** How a whole number must be written, as errors say. */
const INTEGER = "in decimal digits only (such as 100; no point or exponent)";

const MINIMAL = `
host = 127.0.0.1
port = 7080
storage = sqlite
sqlite_path = /var/lib/jobd/jobs.db
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

Deno.test("timeouts and retries: top-level keys apply to every target, [target:NAME] overrides", () => {
  const { config, warnings } = parse(`${MINIMAL}
timeout = 600
timeout_grace = 5
max_attempts = 3
retry_delay = 2.5
retry_delay_max = 60
[targets]
mail = 2
build = 1
[target:mail]
timeout = 0
max_attempts = 5
retry_exit_codes = 75, 111 75
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.jobPolicy, {
    timeout: 600,
    timeoutGrace: 5,
    maxAttempts: 3,
    retryDelay: 2.5,
    retryDelayMax: 60,
    retryExitCodes: undefined,
  });
  assert.deepEqual(
    config.targetPolicies,
    new Map([["mail", {
      timeout: 0,
      timeoutGrace: 5,
      maxAttempts: 5,
      retryDelay: 2.5,
      retryDelayMax: 60,
      retryExitCodes: [75, 111],
    }]]),
  );
});

Deno.test("bad timeout and retry values are refused naming the file, section and key", () => {
  assertConfigError(
    `${MINIMAL}timeout = -1\n`,
    `${FILE}: 'timeout' must be a number of seconds from 0 to 31622400, ${DECIMAL}, got '-1'`,
  );
  assertConfigError(
    `${MINIMAL}max_attempts = 0\n`,
    `${FILE}: 'max_attempts' must be an integer from 1 to 65535, ${INTEGER}, got '0'`,
  );
  assertConfigError(
    `${MINIMAL}[target:mail]\nretry_delay = soon\n`,
    `${FILE}: 'retry_delay' in [target:mail] must be a number of seconds from 0 to 31622400, ${DECIMAL}, got 'soon'`,
  );
  assertConfigError(
    `${MINIMAL}[target:mail]\nretry_exit_codes = 0, 300\n`,
    `${FILE}: 'retry_exit_codes' in [target:mail] must be a list of exit codes from 1 to 255, ` +
      `separated by commas (such as '75, 111'), got '0, 300'`,
  );
  assertConfigError(
    `${MINIMAL}[target:]\ntimeout = 1\n`,
    `${FILE}: the section [target:] names no target: write [target:NAME]`,
  );
});
