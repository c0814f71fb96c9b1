/** Starts a real `jobd` on a test database, with the test launcher (tests/fixtures/job.sh). */

import type { TestDatabase } from "./database.ts";
import {
  freePort,
  iniText,
  type ProgramProcess,
  ROOT,
  startDaemon,
  waitFor,
  workerClient,
} from "./processes.ts";
import type { WorkerClient } from "../../src/net/client.ts";

/** A worker subprocess, its job directory and a client. */
export interface TestWorker extends AsyncDisposable {
  process: ProgramProcess;
  port: number;
  configPath: string;
  /** `$JOB_DIR` of the launcher: per-job scripts and the events log live here. */
  jobDir: string;
  client: WorkerClient;
  /** Lines of the events log (`start ID`, `end ID`). */
  events(): Promise<string[]>;
  /** Writes `$JOB_DIR/NAME.sh` (`default` or a job id) for the launcher to source. */
  script(name: string | number, body: string): Promise<void>;
}

/** Options of `startWorker`: config keys override the defaults. */
export interface StartWorkerOptions {
  targets?: Record<string, number>;
  config?: Record<string, string | number | boolean | undefined>;
  /** Reuse a job directory (a restarted worker). */
  jobDir?: string;
  port?: number;
}

/** The config text of a test worker. */
export function workerConfig(
  db: TestDatabase,
  port: number,
  jobDir: string,
  options: StartWorkerOptions = {},
): string {
  return iniText({
    host: "127.0.0.1",
    port,
    name: "test-worker",
    mysql_host: db.host,
    mysql_port: db.port,
    mysql_user: db.user,
    mysql_password: db.password,
    mysql_database: db.database,
    mysql_table: db.table,
    launcher: `${ROOT}tests/fixtures/job.sh {id}`,
    "launcher.env.JOB_DIR": jobDir,
    poll_interval: 0,
    log_level_console: "info",
    ...options.config,
  }, { targets: options.targets ?? { t1: 2 } });
}

/** Starts a worker and connects a client to it. */
export async function startWorker(
  db: TestDatabase,
  options: StartWorkerOptions = {},
): Promise<TestWorker> {
  const port = options.port ?? freePort();
  const jobDir = options.jobDir ?? await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const ownsJobDir = options.jobDir === undefined;
  const { process, configPath } = await startDaemon(
    "jobd",
    workerConfig(db, port, jobDir, options),
    {
      port,
    },
  );
  const client = await workerClient(port);
  return {
    process,
    port,
    configPath,
    jobDir,
    client,
    async events() {
      try {
        return (await Deno.readTextFile(`${jobDir}/events`)).trim().split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
    script(name, body) {
      return Deno.writeTextFile(`${jobDir}/${name}.sh`, body);
    },
    async [Symbol.asyncDispose]() {
      client.close();
      await process[Symbol.asyncDispose]();
      if (ownsJobDir) await Deno.remove(jobDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Waits until every given row is `done`; returns the rows. */
export function waitForDone(db: TestDatabase, ids: readonly number[], seconds = 60) {
  return waitFor(
    `jobs ${ids.length > 5 ? `${ids[0]}..${ids.at(-1)}` : ids.join(", ")} done`,
    async () => {
      const rows = await db.rows(ids);
      return rows.length === ids.length && rows.every((row) => row.status === "done")
        ? rows
        : undefined;
    },
    seconds,
  );
}
