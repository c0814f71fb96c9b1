import assert from "node:assert/strict";
import { DEFAULTS, parseBenchArgs, shapeName } from "./options.ts";

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
  assert.equal(options.relaxedDb, false);
});

Deno.test("by default every shape of the goals is measured on both table variants", () => {
  const options = optionsOf([]);
  assert.deepEqual(options.shapes.map(shapeName), ["1x1", "1x4", "4x2"]);
  assert.deepEqual(options.variants, ["worker", "no-worker"]);
});

Deno.test("--shapes lists targets x concurrency, in the order given", () => {
  assert.deepEqual(optionsOf(["--shapes", "4x2, 1x4"]).shapes, [
    { targets: 4, concurrency: 2 },
    { targets: 1, concurrency: 4 },
  ]);
  assert.deepEqual(optionsOf(["--shapes", "2x3"]).shapes, [{ targets: 2, concurrency: 3 }]);
});

Deno.test("--shapes refuses what is not TxC, zero, or a shape given twice", () => {
  assert.match(
    errorOf(["--shapes", "1x4,4"]),
    /Invalid --shapes '1x4,4': '4' is not TARGETSxCONCURRENCY/,
  );
  assert.match(errorOf(["--shapes", "0x4"]), /Invalid --shapes '0x4': '0x4' is not/);
  assert.match(errorOf(["--shapes", "1x0"]), /'1x0' is not TARGETSxCONCURRENCY with both from 1/);
  assert.match(errorOf(["--shapes", ""]), /Invalid --shapes '': '' is not/);
  assert.match(errorOf(["--shapes", "1x4,1x4"]), /'1x4' is given twice/);
});

Deno.test("--variants chooses the jobs table with the worker column, without it, or both", () => {
  assert.deepEqual(optionsOf(["--variants", "no-worker"]).variants, ["no-worker"]);
  assert.deepEqual(optionsOf(["--variants", "no-worker,worker"]).variants, [
    "no-worker",
    "worker",
  ]);
  assert.match(
    errorOf(["--variants", "worker,nope"]),
    /Invalid --variants 'worker,nope': 'nope' is not one of worker, no-worker/,
  );
  assert.match(errorOf(["--variants", "worker,worker"]), /'worker' is given twice/);
});

Deno.test("--relaxed-db and --statement-kinds act on the throwaway server; a given one is refused", () => {
  const saved = Deno.env.get("JOBD_TEST_MYSQL");
  Deno.env.delete("JOBD_TEST_MYSQL");
  try {
    assert.equal(optionsOf(["--relaxed-db"]).relaxedDb, true);
    assert.match(
      errorOf(["--relaxed-db", "--mysql", "127.0.0.1:3306:u:p"]),
      /--relaxed-db applies to the throwaway MariaDB only; the server given by --mysql/,
    );
    Deno.env.set("JOBD_TEST_MYSQL", "127.0.0.1:3306:u:p");
    assert.match(errorOf(["--relaxed-db"]), /the server given by JOBD_TEST_MYSQL keeps its own/);
    assert.match(
      errorOf(["--statement-kinds"]),
      /--statement-kinds reads the general log of the throwaway MariaDB; the server given by JOBD_TEST_MYSQL/,
    );
    Deno.env.delete("JOBD_TEST_MYSQL");
    assert.equal(optionsOf(["--statement-kinds"]).statementKinds, true);
    assert.equal(optionsOf([]).statementKinds, false);
  } finally {
    if (saved === undefined) Deno.env.delete("JOBD_TEST_MYSQL");
    else Deno.env.set("JOBD_TEST_MYSQL", saved);
  }
});

Deno.test("numbers may use underscores, and the spawn samples never exceed the jobs", () => {
  const options = optionsOf(["--jobs", "2_000", "--workers", "2", "--backlog", "1000000"]);
  assert.equal(options.jobs, 2000);
  assert.equal(options.workers, 2);
  assert.equal(options.backlog, 1_000_000);
  assert.equal(options.spawnSamples, 2000);
});

Deno.test("the raw spawn is measured in a process group too, unless --no-group-spawn", () => {
  assert.equal(optionsOf([]).groupSpawn, true);
  assert.equal(optionsOf(["--no-group-spawn"]).groupSpawn, false);
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
  assert.match(errorOf(["--targets", "4"]), /Unknown option '--targets'/);
});

Deno.test("--help prints the usage and exits 0", () => {
  const command = parseBenchArgs(["--help"]);
  assert.equal(command.action, "exit");
  assert.equal((command as { code: number }).code, 0);
  assert.match((command as { text: string }).text, /^Usage: deno task bench/);
});
