/**
 * Starts a real `jobd` on a test jobs table, MySQL (`database.ts`) or SQLite
 * (`sqlite_database.ts`), with the test launcher (tests/fixtures/job.sh).
 */

import type { JobRow, TestJobsTable } from "./jobs_table.ts";
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

/** The config text of a test worker on the table `db`. */
export function workerConfig(
  db: TestJobsTable,
  port: number,
  jobDir: string,
  options: StartWorkerOptions = {},
): string {
  return iniText({
    host: "127.0.0.1",
    port,
    name: "test-worker",
    ...db.workerStorageConfig(),
    launcher: `${ROOT}tests/fixtures/job.sh {id}`,
    "launcher.env.JOB_DIR": jobDir,
    poll_interval: 0,
    log_level_console: "info",
    ...options.config,
  }, { targets: options.targets ?? { t1: 2 } });
}

/**
 * Waits for the worker's start-up line (`jobd …: listening on …`, a notice on stderr); throws
 * with the worker's output when it exits first or after `seconds`.
 */
async function startupLine(process: ProgramProcess, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!process.stderrSoFar.includes(": listening on ")) {
    await process.assertRunning("before its start-up line");
    if (Date.now() > deadline) {
      throw new Error(`no start-up line after ${seconds} s:\n${await process.output(40)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a worker on the table `db` and connects a client to it. */
export async function startWorker(
  db: TestJobsTable,
  options: StartWorkerOptions = {},
): Promise<TestWorker> {
  const port = options.port ?? freePort();
  const jobDir = options.jobDir ?? await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const ownsJobDir = options.jobDir === undefined;
  const { process, configPath } = await startDaemon(
    "jobd",
    workerConfig(db, port, jobDir, options),
    { port },
  );
  // Both ports listen from one moment, before recovery; the start-up line comes once the worker
  // has started. A worker that exits in between is reported here with its output, not as a
  // refused connection to its HTTP port later (the tests of HTTP fetch at once).
  const httpPort = options.config?.http_port;
  if (typeof httpPort === "number" && httpPort > 0) {
    await process.waitForPort(httpPort);
    await startupLine(process);
  }
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
export function waitForDone(
  db: TestJobsTable,
  ids: readonly number[],
  seconds = 60,
): Promise<JobRow[]> {
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
