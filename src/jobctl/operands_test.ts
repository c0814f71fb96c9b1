import assert from "node:assert/strict";
import {
  MAX_JOB_ID,
  readConcurrency,
  readJobId,
  readSignal,
  readTargets,
  refuseDuplicateIds,
  splitFields,
} from "./operands.ts";
import { UsageError } from "./usage_error.ts";

function refused(read: () => unknown, message: string): void {
  assert.throws(read, (error) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, message);
    assert.equal(error.hint, "Try 'jobctl cmd --help'");
    return true;
  });
}

Deno.test("a job id is a positive decimal integer that fits the id column", () => {
  assert.equal(readJobId("cmd", "42"), 42);
  assert.equal(readJobId("cmd", String(MAX_JOB_ID)), MAX_JOB_ID);
  for (const text of ["0", "-1", "1.5", "1e3", "0x10", "x", "", String(MAX_JOB_ID + 1)]) {
    refused(
      () => readJobId("cmd", text),
      `invalid job id '${text}': expected an integer from 1 to ${MAX_JOB_ID}`,
    );
  }
});

Deno.test("a concurrency is an integer from 1 to 10000", () => {
  assert.equal(readConcurrency("cmd", "3"), 3);
  for (const text of ["0", "2.5", "two", "-1", "10001"]) {
    refused(
      () => readConcurrency("cmd", text),
      `invalid concurrency '${text}': expected an integer from 1 to 10000`,
    );
  }
});

Deno.test("a signal is a number from 1 to 64 or a name, which gets its SIG prefix", () => {
  assert.equal(readSignal("cmd", "9"), 9);
  assert.equal(readSignal("cmd", "TERM"), "SIGTERM");
  assert.equal(readSignal("cmd", "sigusr1"), "SIGUSR1");
  assert.equal(readSignal("cmd", "SIGKILL"), "SIGKILL");
  for (const text of ["0", "65", "SIG-TERM", "", "9x"]) {
    refused(
      () => readSignal("cmd", text),
      `invalid signal '${text}': expected a name such as TERM or a number from 1 to 64`,
    );
  }
});

Deno.test("targets must be non-empty and named once", () => {
  assert.deepEqual(readTargets("cmd", ["a", "b"]), ["a", "b"]);
  refused(() => readTargets("cmd", ["a", ""]), "a target name cannot be empty");
  refused(() => readTargets("cmd", ["a", "b", "a"]), "target 'a' is given twice");
});

Deno.test("a target argument follows the rules of every target name, shown escaped", () => {
  refused(
    () => readTargets("cmd", ["build", "mail\u202E"]),
    "invalid target name 'mail\\u202e': it contains U+202E, an invisible format character " +
      "(such as a bidirectional override or a zero-width space), which changes how the text " +
      "around it reads",
  );
  refused(
    () => readTargets("cmd", ["null"]),
    "invalid target name 'null': 'null' is not a target name",
  );
});

Deno.test("a job id named twice is refused", () => {
  refuseDuplicateIds("cmd", [1, 2, 3]);
  refused(() => refuseDuplicateIds("cmd", [1, 2, 1]), "job id 1 is given twice");
});

Deno.test("TARGET:ID fields split at the last colons, so a target may contain one", () => {
  assert.deepEqual(splitFields("cmd", "build:12", ["TARGET", "ID"]), ["build", "12"]);
  assert.deepEqual(splitFields("cmd", "ns:build:12", ["TARGET", "ID"]), ["ns:build", "12"]);
  assert.deepEqual(
    splitFields("cmd", "build:12:TERM", ["TARGET", "ID", "SIGNAL"]),
    ["build", "12", "TERM"],
  );
  refused(
    () => splitFields("cmd", "build", ["TARGET", "ID"]),
    "invalid argument 'build': expected TARGET:ID",
  );
});

Deno.test("a signal name that is no Linux signal is a usage error naming it", () => {
  assert.throws(() => readSignal("send-signal", "TREM"), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /^unknown signal 'TREM'/);
    assert.equal(error.command, "send-signal");
    return true;
  });
  assert.equal(readSignal("send-signal", "usr1"), "SIGUSR1");
  assert.equal(readSignal("send-signal", "iot"), "SIGIOT");
});
