// The launcher key as ini reads it: a `;` or `#` inside its quotes.

import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { parseWorkerConfig } from "./worker_config.ts";

const BASE = `host = 127.0.0.1
port = 7080
mysql_host = db.local
mysql_port = 3307
mysql_user = jobd
mysql_password =
mysql_database = jobs_db`;

function parse(text: string) {
  return parseWorkerConfig(text, "/etc/jobd.conf", { defaultName: "this-host" });
}

function assertConfigError(text: string, message: string): void {
  assert.throws(() => parse(text), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("a ';' or '#' inside the launcher's quotes is refused, naming the line and the escape", () => {
  const base = BASE;
  const line = base.split("\n").length + 1;
  assertConfigError(
    `${base}\nlauncher = /bin/sh -c "run {id}; echo done"\n`,
    `/etc/jobd.conf: 'launcher' (line ${line}) is cut at the ';' inside its quotes: ini reads ` +
      `'; echo done"' as a comment; write '\\;' for the character`,
  );
  assertConfigError(
    `${base}\nlauncher = sh -c 'echo #{id}'\n`,
    `/etc/jobd.conf: 'launcher' (line ${line}) is cut at the '#' inside its quotes: ini reads ` +
      `'#{id}'' as a comment; write '\\#' for the character`,
  );
  // Escaped, the character reaches the launcher; a comment after the value is still a comment.
  const escaped = parse(`${base}\nlauncher = /bin/sh -c "run {id}\\; echo done"\n`);
  assert.equal(escaped.config.launcher, '/bin/sh -c "run {id}; echo done"');
  const commented = parse(`${base}\nlauncher = /bin/sh -c "run {id}" ; the runner\n`);
  assert.equal(commented.config.launcher, '/bin/sh -c "run {id}"');
  assert.deepEqual(commented.warnings, []);
});
