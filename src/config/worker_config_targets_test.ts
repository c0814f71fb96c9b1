import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { parseWorkerConfig } from "./worker_config.ts";
import { MAX_WORKER_TARGETS } from "../protocol/limits.ts";

/** How a whole number must be written, as errors say. */
const INTEGER = "in decimal digits only (such as 100; no point or exponent)";

const FILE = "/etc/jobd.conf";

const MINIMAL = `
host = 127.0.0.1
port = 7080
storage = sqlite
sqlite_path = /var/lib/jobd/jobs.db
launcher = /usr/bin/run-job {id}
`;

function targetsError(targets: string): ConfigError {
  try {
    parseWorkerConfig(`${MINIMAL}\n[targets]\n${targets}\n`, FILE, { defaultName: "w" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("a ';' or '#' that would cut a [targets] name is refused, naming the file, line and key", () => {
  const error = targetsError("build = 2\nmail;eu = 1");
  assert.equal(
    error.message,
    `${FILE}: 'mail;eu' in [targets] (line 10) would be read as the target 'mail': ';' and '#' ` +
      "start a comment; write '\\;' or '\\#' for the character, or end the name before it",
  );
  assert.equal(error.key, "mail;eu");
  assert.match(targetsError("a#b = 1").message, /'a#b' in \[targets\] .* target 'a'/);
});

Deno.test("an escaped ';' is part of a [targets] name", () => {
  const { config } = parseWorkerConfig(`${MINIMAL}\n[targets]\nmail\\;eu = 1\n`, FILE, {
    defaultName: "w",
  });
  assert.deepEqual([...config.targets], [["mail;eu", 1]]);
});

Deno.test("a control character in a [targets] name is refused, naming the key escaped", () => {
  assert.equal(
    targetsError("bell\u0007 = 1").message,
    `${FILE}: 'bell\\x07' in [targets] is not a valid target name: it contains the control ` +
      "character U+0007",
  );
});

Deno.test("an invisible format character in a target name is refused, naming its code point", () => {
  const message = targetsError("\u202Eevil = 1").message;
  assert.equal(
    message,
    `${FILE}: '\\u202eevil' in [targets] is not a valid target name: it contains U+202E, an ` +
      "invisible format character (such as a bidirectional override or a zero-width space), " +
      "which changes how the text around it reads",
  );
  assert.doesNotMatch(message, /\u202E/, "the character itself is not in the message");
  for (const char of ["\u2066", "\u2069", "\u200B", "\u200D", "\uFEFF"]) {
    const code = char.codePointAt(0)!.toString(16).toUpperCase();
    assert.match(targetsError(`a${char}b = 1`).message, new RegExp(`contains U\\+${code},`));
  }
  assert.match(targetsError("a\u2028b = 1").message, /U\+2028, a line or paragraph separator/);
});

Deno.test("a [target:NAME] section for a name no target may have is refused, naming it", () => {
  const error = targetsError("build = 1\n[target:bu\u202Eild]\ntimeout = 5");
  assert.match(
    error.message,
    /^\/etc\/jobd\.conf: the section \[target:bu\\u202eild\] names no valid target: it contains U\+202E,/,
  );
});

Deno.test("a word without a value in [targets] is refused by its line, never its text", () => {
  const error = targetsError("build = 2\nhunter2");
  assert.equal(
    error.message,
    `${FILE}: line 10 in [targets] has no concurrency: write 'NAME = concurrency' (the ` +
      "line's text is not shown, as it may be a secret)",
  );
  assert.doesNotMatch(error.message, /hunter2/);
  assert.doesNotMatch(targetsError("c2VjcmV0==").message, /c2VjcmV0/, "base64 padding");
  assert.equal(
    targetsError("pa;ss#word").message,
    `${FILE}: line 9 in [targets] has no concurrency: write 'NAME = concurrency' (the line's ` +
      "text is not shown, as it may be a secret)",
    "not the cut-key error, which would quote it",
  );
});

Deno.test("[targets] lists at most MAX_WORKER_TARGETS targets; one more is refused naming the limit", () => {
  const lines = (count: number) => Array.from({ length: count }, (_, i) => `t${i} = 1`).join("\n");
  const { config } = parseWorkerConfig(
    `${MINIMAL}\n[targets]\n${lines(MAX_WORKER_TARGETS)}\n`,
    FILE,
    { defaultName: "w" },
  );
  assert.equal(config.targets.size, MAX_WORKER_TARGETS);
  const error = targetsError(lines(MAX_WORKER_TARGETS + 1));
  assert.equal(
    error.message,
    `${FILE}: [targets] lists ${MAX_WORKER_TARGETS + 1} targets, more than the ` +
      `${MAX_WORKER_TARGETS} one worker may serve`,
  );
  assert.equal(error.key, "targets");
});

Deno.test("a target's concurrency is at most 10000, the error naming the key and the file", () => {
  assert.equal(
    targetsError("build = 10001").message,
    `/etc/jobd.conf: 'build' in [targets] must be an integer from 1 to 10000, ${INTEGER}, got '10001'`,
  );
  const { config } = parseWorkerConfig(`${MINIMAL}\n[targets]\nbuild = 10000\n`, FILE, {
    defaultName: "w",
  });
  assert.equal(config.targets.get("build"), 10_000);
});

Deno.test("a [target:NAME] section for a target [targets] does not list is a warning naming it", () => {
  const { config, warnings } = parseWorkerConfig(
    `${MINIMAL}\n[targets]\nmail = 1\n[target:mial]\ntimeout = 30\n[target:mail]\ntimeout = 60\n`,
    FILE,
    { defaultName: "w" },
  );
  assert.deepEqual(warnings, [
    `${FILE}: [target:mial] is for a target that [targets] does not list (a mistyped name?): ` +
    "its keys apply only if the target is added (add-target)",
  ]);
  // Kept all the same: a target added later (add-target) gets its keys.
  assert.equal(config.targetPolicies.get("mial")?.timeout, 30);
});

Deno.test("a key given twice in a worker config is a warning naming the section and both lines", () => {
  const { config, warnings } = parseWorkerConfig(
    `${MINIMAL}port = 7081\n[targets]\nbuild = 2\nbuild = 3\n`,
    FILE,
    { defaultName: "w" },
  );
  assert.equal(config.port, 7081);
  assert.equal(config.targets.get("build"), 3);
  assert.deepEqual(warnings, [
    `${FILE}: 'port' is given twice (lines 3 and 7): the value of line 7 is used`,
    `${FILE}: 'build' in [targets] is given twice (lines 9 and 10): the value of line 10 is used`,
  ]);
});

Deno.test("a target named with dots gets the keys of its [target:NAME] section", () => {
  const { config, warnings } = parseWorkerConfig(
    `${MINIMAL}\n[targets]\nmail.send = 2\n[target:mail.send]\ntimeout = 30\n`,
    FILE,
    { defaultName: "w" },
  );
  assert.deepEqual(warnings, []);
  assert.equal(config.targets.get("mail.send"), 2);
  assert.equal(config.targetPolicies.get("mail.send")?.timeout, 30);
});
