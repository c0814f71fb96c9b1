import assert from "node:assert/strict";
import { readableSecretWarning } from "./file_mode.ts";
import { loadWorkerConfig } from "./worker_config.ts";
import { loadMasterConfig } from "./master_config.ts";
import { loadJobctlConfig } from "./jobctl_config.ts";

const WORKER = `
host = 127.0.0.1
port = 7080
mysql_host = db.local
mysql_port = 3307
mysql_user = jobd
mysql_password = db-secret
mysql_database = jobs
launcher = /usr/bin/run-job {id}
`;

/** Runs `body` with a fresh directory, removed after. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `text` to `path` with exactly `mode`, whatever the umask. */
async function writeWithMode(path: string, text: string, mode: number): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

/** The warnings that are about the file's mode. */
function modeWarnings(warnings: string[]): string[] {
  return warnings.filter((warning) => warning.includes("every user of this host can read"));
}

Deno.test("a password readable by every user is one warning naming the file, mode and chmod", () => {
  assert.equal(
    readableSecretWarning("/etc/jobd.conf", 0o644, ["password", "mysql_password"]),
    "/etc/jobd.conf: the file holds a password ('password' and 'mysql_password') and every " +
      "user of this host can read it (mode 0644): run 'chmod 0640 /etc/jobd.conf'",
  );
  assert.match(
    readableSecretWarning("/srv/my conf/jobd.conf", 0o606, ["password"])!,
    /\(mode 0606\): run 'chmod 0600 '\/srv\/my conf\/jobd\.conf''$/,
  );
  assert.equal(readableSecretWarning("/etc/jobd.conf", 0o640, ["password"]), undefined);
  assert.equal(readableSecretWarning("/etc/jobd.conf", 0o600, ["password"]), undefined);
  assert.equal(readableSecretWarning("/etc/jobd.conf", 0o644, []), undefined, "no password");
});

Deno.test("the worker warns about its config file holding passwords every user can read", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/jobd.conf`;
    await writeWithMode(path, `${WORKER}password = secret\n`, 0o644);
    const loaded = await loadWorkerConfig(path, { defaultName: "w" });
    assert.deepEqual(modeWarnings(loaded.warnings), [
      `${path}: the file holds a password ('password' and 'mysql_password') and every user of ` +
      `this host can read it (mode 0644): run 'chmod 0640 ${path}'`,
    ]);
    await Deno.chmod(path, 0o640);
    const grouped = await loadWorkerConfig(path, { defaultName: "w" });
    assert.deepEqual(modeWarnings(grouped.warnings), [], "read by its group only: fine");
    // Without any password the mode is the operator's business.
    await writeWithMode(path, WORKER.replace("db-secret", ""), 0o644);
    const open = await loadWorkerConfig(path, { defaultName: "w" });
    assert.deepEqual(modeWarnings(open.warnings), []);
  });
});

Deno.test("the master and jobctl warn about a password every user can read", async () => {
  await inTempDir(async (dir) => {
    const master = `${dir}/jobd-master.conf`;
    await writeWithMode(master, "host = 127.0.0.1\nport = 7081\npassword = s\n", 0o604);
    assert.deepEqual(modeWarnings((await loadMasterConfig(master)).warnings), [
      `${master}: the file holds a password ('password') and every user of this host can read ` +
      `it (mode 0604): run 'chmod 0600 ${master}'`,
    ]);
    const jobctl = `${dir}/.jobctl.conf`;
    await writeWithMode(jobctl, "password = s\n", 0o644);
    assert.equal(modeWarnings((await loadJobctlConfig({ home: dir })).warnings).length, 1);
    await writeWithMode(jobctl, "port = 7080\n", 0o644);
    assert.deepEqual(modeWarnings((await loadJobctlConfig({ home: dir })).warnings), []);
  });
});
