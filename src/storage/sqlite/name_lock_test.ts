import assert from "node:assert/strict";
import { lockSqliteWorkerName, NAME_LOCK_FILE_MODE, nameLockPath } from "./name_lock.ts";
import { NameTakenError } from "../name_lock.ts";
import { StorageError } from "../errors.ts";
import { rejection } from "../../../tests/helpers/assertions.ts";
import { modeAfterUmask, tempDir } from "../../../tests/helpers/temp_dir.ts";

const options = (dir: string) => ({
  path: `${dir}/jobs.db`,
  table: "jobs",
  workerName: "w1",
  address: "127.0.0.1:7080",
});

Deno.test("the name lock takes its file, and a second taker is told who holds it", async () => {
  await using dir = await tempDir("jobd-name-lock-");
  const lock = await lockSqliteWorkerName(options(dir.path));
  try {
    const error = await rejection(lockSqliteWorkerName(options(dir.path)));
    assert.ok(error instanceof NameTakenError, String(error));
    assert.match(
      error.message,
      new RegExp(`process ${Deno.pid} .*listening on 127\\.0\\.0\\.1:7080`),
    );
  } finally {
    await lock.release();
  }
  // Released: the name can be taken again through the same file.
  const again = await lockSqliteWorkerName(options(dir.path));
  await again.release();
});

Deno.test("the lock file is created for its owner alone; an existing one keeps its mode", async () => {
  await using dir = await tempDir("jobd-name-lock-");
  const lockPath = nameLockPath(`${dir.path}/jobs.db`, "jobs", "w1");
  const lock = await lockSqliteWorkerName(options(dir.path));
  await lock.release();
  assert.equal(NAME_LOCK_FILE_MODE, 0o600);
  assert.equal((await Deno.stat(lockPath)).mode! & 0o777, await modeAfterUmask(dir.path, 0o600));
  await Deno.chmod(lockPath, 0o640);
  const again = await lockSqliteWorkerName(options(dir.path));
  await again.release();
  assert.equal((await Deno.stat(lockPath)).mode! & 0o777, 0o640);
});

Deno.test("the name lock never opens its file through a symbolic link: the target is left alone", async () => {
  await using dir = await tempDir("jobd-name-lock-");
  const lockPath = nameLockPath(`${dir.path}/jobs.db`, "jobs", "w1");
  const victim = `${dir.path}/precious`;
  await Deno.writeTextFile(victim, "keep me\n");
  await Deno.symlink(victim, lockPath);
  const error = await rejection(lockSqliteWorkerName(options(dir.path)));
  assert.ok(error instanceof StorageError, String(error));
  assert.match(error.message, /cannot open the lock file '.*': it is a symbolic link: remove it/);
  assert.equal(await Deno.readTextFile(victim), "keep me\n");

  // A link to nothing does not create its target either.
  await Deno.remove(lockPath);
  const absent = `${dir.path}/created-by-nobody`;
  await Deno.symlink(absent, lockPath);
  assert.ok(await rejection(lockSqliteWorkerName(options(dir.path))) instanceof StorageError);
  assert.ok(await rejection(Deno.lstat(absent)) instanceof Deno.errors.NotFound);
});

Deno.test("the name lock refuses a file with a second hard link, whose other name it would truncate", async () => {
  await using dir = await tempDir("jobd-name-lock-");
  const lockPath = nameLockPath(`${dir.path}/jobs.db`, "jobs", "w1");
  const victim = `${dir.path}/precious`;
  await Deno.writeTextFile(victim, "keep me\n");
  await Deno.link(victim, lockPath);
  const error = await rejection(lockSqliteWorkerName(options(dir.path)));
  assert.match(error.message, /it has 2 hard links, a lock file has one: remove it/);
  assert.equal(await Deno.readTextFile(victim), "keep me\n");
});
