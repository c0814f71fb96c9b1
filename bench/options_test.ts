import assert from "node:assert/strict";
import { DEFAULTS, parseBenchArgs } from "./options.ts";

function optionsOf(args: string[]) {
  const command = parseBenchArgs(args);
  assert.equal(command.action, "run", command.action === "exit" ? command.text : "");
  return (command as Extract<typeof command, { action: "run" }>).options;
}

function errorOf(args: string[]): string {
  const command = parseBenchArgs(args);
  assert.equal(command.action, "exit");
  const exit = command as Extract<typeof command, { action: "exit" }>;
  assert.equal(exit.code, 2);
  return exit.text;
}

Deno.test("without options the run uses the documented defaults and our own daemons", () => {
  const options = optionsOf([]);
  assert.equal(options.jobs, DEFAULTS.jobs);
  assert.equal(options.workers, DEFAULTS.workers);
  assert.equal(options.launcher, "/bin/true {id}");
  assert.match(options.workerCmd, / run .*worker\.ts --config \{config\}$/);
  assert.match(options.masterCmd ?? "", / run .*master\.ts --config \{config\}$/);
  assert.equal(options.workerColumn, true);
});

Deno.test("--without-worker-column measures the jobs table without the optional worker column", () => {
  assert.equal(optionsOf(["--without-worker-column"]).workerColumn, false);
});

Deno.test("numbers may use underscores, and the spawn samples never exceed the jobs", () => {
  const options = optionsOf(["--jobs", "2_000", "--workers", "2", "--backlog", "1000000"]);
  assert.equal(options.jobs, 2000);
  assert.equal(options.workers, 2);
  assert.equal(options.backlog, 1_000_000);
  assert.equal(options.spawnSamples, 2000);
});

Deno.test("--master-cmd none runs without a master", () => {
  assert.equal(optionsOf(["--master-cmd", "none"]).masterCmd, undefined);
});

Deno.test("invalid values are refused naming the option and the value", () => {
  assert.match(errorOf(["--jobs", "0"]), /Invalid --jobs '0': expected an integer ≥ 1/);
  assert.match(errorOf(["--workers", "two"]), /Invalid --workers 'two'/);
  assert.match(errorOf(["--idle-wait=-1"]), /Invalid --idle-wait '-1': expected seconds ≥ 0/);
  assert.match(
    errorOf(["--launcher", "/bin/true"]),
    /Invalid --launcher '\/bin\/true': it must contain \{id\}/,
  );
  assert.match(
    errorOf(["--worker-cmd", "jobd"]),
    /Invalid --worker-cmd 'jobd': it must contain \{config\}/,
  );
  assert.match(errorOf(["--frobnicate"]), /Unknown option '--frobnicate'/);
});

Deno.test("--help prints the usage and exits 0", () => {
  const command = parseBenchArgs(["--help"]);
  assert.equal(command.action, "exit");
  assert.equal((command as { code: number }).code, 0);
  assert.match((command as { text: string }).text, /^Usage: deno task bench/);
});
