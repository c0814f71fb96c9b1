import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { loadMasterConfig } from "./master_config.ts";
import { loadWorkerConfig } from "./worker_config.ts";

const WORKER = `
host = 127.0.0.1
port = 7080
storage = sqlite
sqlite_path = /var/lib/jobd/jobs.db
launcher = /usr/bin/run-job {id}
`;

const MASTER = `
host = 127.0.0.1
port = 7081
`;

/** Writes `text` plus `log_file = logFile` to a config file and loads it with `load`. */
async function loadWith(
  load: (path: string) => Promise<unknown>,
  text: string,
  logFile: string,
): Promise<unknown> {
  const dir = await Deno.makeTempDir({ prefix: "jobd-log-file-" });
  try {
    const path = `${dir}/daemon.conf`;
    await Deno.writeTextFile(path, `${text}log_file = ${logFile.replace("DIR", dir)}\n`);
    return await load(path).catch((error) => error);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [program, load, text] of [["jobd", loadWorkerConfig, WORKER], [
    "jobd-master",
    loadMasterConfig,
    MASTER,
  ]] as const
) {
  Deno.test(`${program}: a log_file in a missing directory names the key, the log file and the config file`, async () => {
    const error = await loadWith(load, text, "DIR/no-such-dir/daemon.log");
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.key, "log_file");
    assert.match(
      error.message,
      /^\/.*\/daemon\.conf: 'log_file' = '\/.*\/no-such-dir\/daemon\.log': the directory '\/.*\/no-such-dir' does not exist$/,
    );
  });

  Deno.test(`${program}: a log_file that does not exist yet in an existing directory is fine`, async () => {
    const loaded = await loadWith(load, text, "DIR/daemon.log");
    assert.ok(!(loaded instanceof Error), String(loaded));
  });
}
