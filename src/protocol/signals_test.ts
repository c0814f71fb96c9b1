import assert from "node:assert/strict";
import { parseSignal, signalNumber } from "./signals.ts";
import { endsProcess } from "./signal_names.ts";

Deno.test("signal names are read with or without the SIG prefix, in any case", () => {
  for (const value of ["SIGTERM", "TERM", "term", "sigterm", "SigTerm", " TERM "]) {
    assert.equal(parseSignal(value), "SIGTERM", value);
  }
  assert.equal(parseSignal("KILL"), "SIGKILL");
  assert.equal(parseSignal("usr1"), "SIGUSR1");
});

Deno.test("Linux signal numbers are read as numbers or numeric strings", () => {
  assert.equal(parseSignal(9), "SIGKILL");
  assert.equal(parseSignal("9"), "SIGKILL");
  assert.equal(parseSignal(15), "SIGTERM");
  assert.equal(parseSignal(1), "SIGHUP");
  assert.equal(parseSignal(10), "SIGUSR1");
  assert.equal(parseSignal(31), "SIGSYS");
});

Deno.test("aliases resolve to the usual name", () => {
  assert.equal(parseSignal("IOT"), "SIGABRT");
  assert.equal(parseSignal("SIGPOLL"), "SIGIO");
  assert.equal(parseSignal("cld"), "SIGCHLD");
});

Deno.test("unknown signals and other values are undefined", () => {
  for (
    const value of [
      0,
      32,
      -9,
      9.5,
      Number.NaN,
      "",
      "SIG",
      "TERMINATE",
      "9x",
      "-9",
      "SIGINFO",
      "SIGBREAK",
      null,
      undefined,
      true,
      ["SIGTERM"],
      { signal: 9 },
    ]
  ) {
    assert.equal(parseSignal(value), undefined, String(value));
  }
});

Deno.test("signalNumber gives the Linux number of a signal", () => {
  assert.equal(signalNumber("SIGKILL"), 9);
  assert.equal(signalNumber("SIGTERM"), 15);
  assert.equal(signalNumber("SIGPOLL"), 29);
  assert.equal(signalNumber("SIGINFO"), undefined);
});

Deno.test("every signal number maps back to itself", () => {
  for (let number = 1; number <= 31; number++) {
    const signal = parseSignal(number);
    assert.ok(signal, `signal ${number}`);
    assert.equal(signalNumber(signal), number);
  }
});

Deno.test("signals that stop, continue or are ignored by default do not end a process", () => {
  assert.deepEqual(
    ["SIGTERM", "SIGKILL", "SIGHUP", "SIGUSR1", "SIGINT"].map((name) =>
      endsProcess(name as Deno.Signal)
    ),
    [true, true, true, true, true],
  );
  assert.deepEqual(
    ["SIGSTOP", "SIGCONT", "SIGTSTP", "SIGWINCH", "SIGCHLD"].map((name) =>
      endsProcess(name as Deno.Signal)
    ),
    [false, false, false, false, false],
  );
});
