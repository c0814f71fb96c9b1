/**
 * Which failures to start a launcher leave the job queued to be started
 * again (out of file descriptors, of memory, of processes) and which end it
 * `fail` with the error (everything else). Deno reports a failed system
 * call as an `Error` whose `code` is the errno's name; the classification
 * reads only that.
 */

import assert from "node:assert/strict";
import { fewFiles, withFewFiles } from "../../tests/helpers/few_files.ts";
import { isTransientSpawnError, TRANSIENT_SPAWN_CODES } from "./spawn_errors.ts";

/** An error as Deno throws it for a failed system call. */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What `spawn()` of `command` throws. */
function spawnError(command: string, options: Deno.CommandOptions = {}): unknown {
  try {
    const child = new Deno.Command(command, { stdout: "null", stderr: "null", ...options }).spawn();
    child.kill("SIGKILL");
    return undefined;
  } catch (error) {
    return error;
  }
}

Deno.test("out of descriptors, memory or processes is transient: the job waits and is retried", () => {
  assert.deepEqual([...TRANSIENT_SPAWN_CODES].sort(), ["EAGAIN", "EMFILE", "ENFILE", "ENOMEM"]);
  const transient = [
    systemError("EMFILE", "Too many open files (os error 24)"),
    systemError("ENFILE", "Too many open files in system (os error 23)"),
    systemError("EAGAIN", "Resource temporarily unavailable (os error 11)"),
    systemError("ENOMEM", "Cannot allocate memory (os error 12)"),
    Object.assign(new Deno.errors.WouldBlock("Resource temporarily unavailable"), {
      code: "EAGAIN",
    }),
  ];
  for (const error of transient) assert.equal(isTransientSpawnError(error), true, error.message);
});

Deno.test("every other spawn error is for good: the job ends fail with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd_spawn_errors_" });
  try {
    await Deno.writeTextFile(`${dir}/plain.txt`, "echo hi\n", { mode: 0o644 });
    const real = [
      spawnError(`${dir}/missing`), // ENOENT
      spawnError(`${dir}/plain.txt`), // EACCES
      spawnError("/bin/true", { cwd: `${dir}/missing` }), // ENOENT, of the directory
    ];
    for (const error of real) {
      assert.ok(error instanceof Error, "the spawn failed");
      assert.equal(isTransientSpawnError(error), false, error.message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const code of ["ENOENT", "EACCES", "ENOEXEC", "E2BIG", "ENOTDIR", "emfile", ""]) {
    assert.equal(isTransientSpawnError(systemError(code, code)), false, code);
  }
});

Deno.test("only an Error with the errno name as its code counts", () => {
  assert.equal(isTransientSpawnError(new Error("Too many open files (os error 24)")), false);
  assert.equal(isTransientSpawnError(Object.assign(new Error("x"), { code: 24 })), false);
  assert.equal(isTransientSpawnError({ code: "EMFILE" }), false);
  assert.equal(isTransientSpawnError("EMFILE"), false);
  assert.equal(isTransientSpawnError(undefined), false);
  assert.equal(isTransientSpawnError(null), false);
});

Deno.test({
  name: "a spawn that runs out of file descriptors for real is transient",
  ...fewFiles,
  async fn() {
    const error = await withFewFiles(() =>
      Promise.resolve(spawnError("/bin/true", { stdin: "piped", stdout: "piped", stderr: "piped" }))
    );
    assert.ok(error instanceof Error, "the spawn failed");
    assert.match(error.message, /Too many open files/);
    assert.equal(isTransientSpawnError(error), true);
  },
});
