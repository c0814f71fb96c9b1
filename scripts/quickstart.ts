/**
 * `deno task quickstart`: jobd end to end in a few seconds, with nothing to
 * install or configure. In a temporary directory it creates an SQLite jobs
 * table (examples/schema.sqlite.sql), starts a master and a worker
 * registered with it (the real programs, with the binaries' permission
 * flags), inserts background and manual jobs the way an application does,
 * pokes the master, shows each job as it ends, runs manual jobs through the
 * master and through `jobctl`, runs a deferred job at its time and a failing
 * job again after a delay, gives the worker a job board (SIGHUP) and shows
 * its schedule firing, lists the workers, and stops everything with
 * SIGTERM. Exits 0 when every step worked, 1 with the reason otherwise; it
 * leaves no process and no file behind either way.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { MasterClient } from "../src/net/client.ts";
import { Daemon, DaemonError, freePort, iniText, programArgs, ROOT } from "./daemon_process.ts";
import type { Program } from "./permissions.ts";

/**
 * The flags the quick start runs with: it reads the repository and its
 * temporary directory, writes the latter, talks to its daemons on the
 * loopback interface and runs `deno` for them.
 */
export const QUICKSTART_FLAGS: readonly string[] = [
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-net=127.0.0.1",
  "--allow-run",
];

/** The `quickstart` task of deno.json. */
export const QUICKSTART_TASK = ["deno run", ...QUICKSTART_FLAGS, "scripts/quickstart.ts"].join(" ");

/** The worker's name, as the master lists it. */
const WORKER_NAME = "quickstart";

/** The worker's targets and their concurrency. */
const TARGETS: ReadonlyMap<string, number> = new Map([["reports", 2], ["mail", 1]]);

/** Background jobs inserted per target. */
const BACKGROUND_JOBS: ReadonlyMap<string, number> = new Map([["reports", 4], ["mail", 3]]);

/** The target of the two manual jobs. */
const MANUAL_TARGET = "reports";

/** The target of the deferred job and the retried job, with retries on in its section. */
const TIME_TARGET = "mail";

/** Seconds from the insert of the deferred job to its `time_run_at`. */
const DEFER_SECONDS = 2;

/** Seconds a daemon may take to listen, the worker to register, or a daemon to stop. */
const STEP_TIMEOUT_SECONDS = 30;

/** Seconds a daemon gets to exit after SIGTERM when the quick start cleans up after a failure. */
const CLEANUP_GRACE_SECONDS = 5;

/** Seconds the background jobs may take, all together. */
const JOBS_TIMEOUT_SECONDS = 60;

/** Milliseconds between two looks at the jobs table. */
const WATCH_INTERVAL_MS = 100;

/** A step of the quick start that did not work; the message says which and why. */
class QuickstartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuickstartError";
  }
}

/** Writes to stdout: job lines, and a live progress line redrawn in place on a terminal. */
class Screen {
  readonly #tty = Deno.stdout.isTerminal();
  readonly #encoder = new TextEncoder();
  #progress = "";
  #muted = false;

  /** Prints a line (above the progress line, if one is shown). */
  line(text = ""): void {
    this.#write(`${this.#clear()}${text}\n${this.#progress}`);
  }

  /** Shows `text` as the progress line: on a terminal only, redrawn with `\r`. */
  progress(text: string): void {
    if (!this.#tty || text === this.#progress) return;
    this.#write(`${this.#clear()}${text}`);
    this.#progress = text;
  }

  /** Removes the progress line. */
  endProgress(): void {
    this.#write(this.#clear());
    this.#progress = "";
  }

  /** Removes the progress line and drops all later output (the run was interrupted). */
  mute(): void {
    this.endProgress();
    this.#muted = true;
  }

  #clear(): string {
    return this.#progress === "" ? "" : "\r\x1b[K";
  }

  #write(text: string): void {
    if (this.#muted) return;
    let bytes = this.#encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
  }
}

/** What a daemon printed, for an error message. */
async function outputOf(daemon: Daemon): Promise<string> {
  const text = await daemon.output();
  return text === "" ? `(${daemon.name} printed nothing)` : text;
}

/** Starts `program` on the config at `configPath`, in `cwd`. */
function startDaemon(program: Program, configPath: string, cwd: string): Daemon {
  return Daemon.program(program, ["--config", configPath], { cwd });
}

/** SIGTERM, then waits for exit 0 (a graceful shutdown). */
async function stopDaemon(daemon: Daemon): Promise<void> {
  const { status, forced } = await daemon.stop(STEP_TIMEOUT_SECONDS);
  if (forced) {
    throw new QuickstartError(
      `${daemon.name} did not stop within ${STEP_TIMEOUT_SECONDS} s of SIGTERM:\n` +
        await outputOf(daemon),
    );
  }
  if (status.code !== 0) {
    throw new QuickstartError(
      `${daemon.name} exited with status ${status.code} after SIGTERM (expected 0):\n` +
        await outputOf(daemon),
    );
  }
}

/**
 * The cleanup after a failure or Ctrl-C: SIGTERM if the daemon still runs
 * (the worker lets its jobs end), SIGKILL if it has not exited after
 * `CLEANUP_GRACE_SECONDS`; waits for it either way.
 */
async function disposeDaemon(daemon: Daemon): Promise<void> {
  await daemon.stop(CLEANUP_GRACE_SECONDS);
}

/** A row of the jobs table, as the quick start shows it. */
interface JobRow {
  id: number;
  target: string;
  status: string;
  result: string | null;
  return_code: number | null;
  time_started: number;
  time_run_at: number;
  attempts: number;
  sig: string | null;
  stdout: string | null;
  stderr: string | null;
}

/** The application's side of the jobs table: inserting jobs and reading them back. */
class JobsTable {
  readonly #db: DatabaseSync;

  /** Creates the database file at `path` with the table of examples/schema.sqlite.sql. */
  static async create(path: string): Promise<JobsTable> {
    const schema = await Deno.readTextFile(`${ROOT}examples/schema.sqlite.sql`);
    const db = new DatabaseSync(path, { timeout: 5000 });
    db.exec(schema);
    return new JobsTable(db);
  }

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Inserts `count` jobs of `target` in `status`, as an application does; returns their ids. */
  insert(target: string, count: number, status: "waiting" | "manual"): number[] {
    const insert = this.#db.prepare(
      "INSERT INTO jobs (target, time_created, status) VALUES (?, ?, ?) RETURNING id",
    );
    const now = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, () => Number(insert.get(target, now, status)?.id));
  }

  /** Inserts a job of `target` that waits as `delayed` until `runAt` (unix seconds). */
  insertDelayed(target: string, runAt: number): number {
    const now = Math.floor(Date.now() / 1000);
    return Number(
      this.#db.prepare(
        "INSERT INTO jobs (target, time_created, status, time_run_at) " +
          "VALUES (?, ?, 'delayed', ?) RETURNING id",
      ).get(target, now, runAt)?.id,
    );
  }

  /** The ids of the rows after `id` (rows that jobd's job board inserted), ascending. */
  idsAfter(id: number): number[] {
    return this.#db.prepare("SELECT id FROM jobs WHERE id > ? ORDER BY id").all(id)
      .map((row) => Number(row.id));
  }

  /** The rows with these ids, by id. */
  rows(ids: readonly number[]): JobRow[] {
    return this.#db.prepare(
      `SELECT id, target, status, result, return_code, sig, stdout, stderr, time_started,
              time_run_at, attempts FROM jobs
        WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(JSON.stringify(ids)) as unknown as JobRow[];
  }

  /** Closes the connection; later calls do nothing. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function pause(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/** A path as one argument of the launcher template (single-quoted, like a shell word). */
function templateWord(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/** One line per job: id, target, status, result and the first line of its output. */
function describeJob(row: JobRow): string {
  const how = row.sig !== null ? `signal ${row.sig}` : `exit code ${row.return_code}`;
  const output = (row.stdout ?? "").trim().split("\n")[0] || (row.stderr ?? "").trim();
  return `  job ${row.id} (${row.target}): ${row.status}, ${row.result} (${how})` +
    (output === "" ? "" : `: ${output}`);
}

/** Fails when a finished job did not succeed: every example job should. */
function checkSucceeded(row: JobRow): void {
  if (row.status === "done" && row.result === "ok") return;
  const how = row.sig !== null ? `signal ${row.sig}` : `exit code ${row.return_code}`;
  const stderr = (row.stderr ?? "").trim();
  throw new QuickstartError(
    `Job ${row.id} (${row.target}) ended as ${row.status}, ${row.result} (${how})` +
      (stderr === "" ? "" : `: ${stderr}`),
  );
}

/**
 * Runs jobctl with `args` and `--config emptyConfig` (killed on `signal`), so that the user's
 * `~/.jobctl.conf` (another host, a password) does not change what it does.
 * Returns its stdout, or throws with its stderr.
 */
async function jobctl(
  args: string[],
  options: { emptyConfig: string; signal: AbortSignal },
): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: programArgs("jobctl", ["--config", options.emptyConfig, ...args]),
    env: { NO_COLOR: "1" },
    stdin: "null",
    signal: options.signal,
  }).output();
  const decoder = new TextDecoder();
  if (output.code !== 0) {
    throw new QuickstartError(
      `jobctl ${args.join(" ")} exited with status ${output.code}:\n` +
        decoder.decode(output.stderr).trimEnd(),
    );
  }
  return decoder.decode(output.stdout).trimEnd();
}

/** Prints text indented by four spaces (empty lines stay empty). */
function showIndented(screen: Screen, text: string): void {
  for (const line of text.trimEnd().split("\n")) screen.line(line === "" ? "" : `    ${line}`);
}

/** Prints a command and its output, indented. */
function showCommand(screen: Screen, command: string, output: string): void {
  screen.line(`  $ ${command}`);
  showIndented(screen, output);
}

/**
 * Watches the background jobs until all are done, printing each as it ends
 * and a progress line meanwhile. Throws when the worker dies, a job fails,
 * or `JOBS_TIMEOUT_SECONDS` pass.
 */
async function watchJobs(
  screen: Screen,
  table: JobsTable,
  ids: readonly number[],
  worker: Daemon,
  signal: AbortSignal,
): Promise<void> {
  const shown = new Set<number>();
  const deadline = Date.now() + JOBS_TIMEOUT_SECONDS * 1000;
  while (shown.size < ids.length && !signal.aborted) {
    await worker.assertRunning("while the quick start ran");
    const rows = table.rows(ids);
    const count = (status: string) => rows.filter((row) => row.status === status).length;
    screen.progress(
      `  ${count("done")} of ${ids.length} done, ${count("running")} running, ` +
        `${count("accepted")} queued, ${count("waiting")} waiting`,
    );
    for (const row of rows) {
      if (row.status !== "done" || shown.has(row.id)) continue;
      shown.add(row.id);
      screen.line(describeJob(row));
      checkSucceeded(row);
    }
    if (shown.size === ids.length) break;
    if (Date.now() > deadline) {
      const left = rows.filter((row) => row.status !== "done")
        .map((row) => `job ${row.id} is ${row.status}`).join(", ");
      throw new QuickstartError(
        `The background jobs did not all end within ${JOBS_TIMEOUT_SECONDS} s: ${left}\n` +
          await outputOf(worker),
      );
    }
    await pause(WATCH_INTERVAL_MS);
  }
  screen.endProgress();
}

/** Waits until the master lists the worker. */
async function waitForRegistration(master: MasterClient, worker: Daemon): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_SECONDS * 1000;
  while (Date.now() < deadline) {
    await worker.assertRunning("while the quick start ran");
    const { workers } = await master.status();
    if (workers.some((entry) => entry.name === WORKER_NAME)) return;
    await pause(100);
  }
  throw new QuickstartError(
    `The worker did not register with the master within ${STEP_TIMEOUT_SECONDS} s:\n` +
      await outputOf(worker),
  );
}

/** Runs of the quick start's schedule. */
const SCHEDULED_RUNS = 2;

/**
 * Gives the worker a job board (a schedule of `SCHEDULED_RUNS` runs, one a
 * second), reloads it with SIGHUP, and shows the rows the schedule inserts
 * as they end.
 */
async function showSchedule(
  screen: Screen,
  options: {
    dir: string;
    table: JobsTable;
    worker: Daemon;
    workerConfig: string;
    lastId: number;
    signal: AbortSignal;
  },
): Promise<void> {
  const { dir, table, worker, lastId, signal } = options;
  const boardPath = `${dir}/jobd-board.ini`;
  const board = iniText({}, {
    heartbeat: { target: "mail", every: "1s", max_runs: SCHEDULED_RUNS },
  }).trimStart();
  await Deno.writeTextFile(boardPath, board);
  await Deno.writeTextFile(`${dir}/jobd.conf`, `schedules = ${boardPath}\n${options.workerConfig}`);
  worker.kill("SIGHUP");
  screen.line(
    `- Gave the worker a job board (schedules = jobd-board.ini in jobd.conf, then SIGHUP): ` +
      `each slot inserts one row, whatever the number of workers:`,
  );
  showIndented(screen, board);
  const deadline = Date.now() + JOBS_TIMEOUT_SECONDS * 1000;
  const shown = new Set<number>();
  while (shown.size < SCHEDULED_RUNS && !signal.aborted) {
    await worker.assertRunning("while the quick start ran");
    for (const row of table.rows(table.idsAfter(lastId))) {
      if (row.status !== "done" || shown.has(row.id)) continue;
      shown.add(row.id);
      screen.line(describeJob(row).replace(/^ {2}job/, "  scheduled job"));
      checkSucceeded(row);
    }
    if (Date.now() > deadline) {
      throw new QuickstartError(
        `The schedule did not run ${SCHEDULED_RUNS} times within ${JOBS_TIMEOUT_SECONDS} s:\n` +
          await outputOf(worker),
      );
    }
    if (shown.size < SCHEDULED_RUNS) await pause(WATCH_INTERVAL_MS);
  }
}

/**
 * The whole quick start; throws a `QuickstartError` at the first step that
 * fails. What it starts or creates is undone by `cleanup` (killed, closed,
 * removed), which the caller disposes of; `signal` ends a jobctl run.
 */
async function quickstart(
  screen: Screen,
  cleanup: AsyncDisposableStack,
  signal: AbortSignal,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jobd-quickstart-" });
  cleanup.defer(() => Deno.remove(dir, { recursive: true }).catch(() => {}));
  screen.line("jobd quick start: a master, a worker on an SQLite file, and a few jobs");
  screen.line();

  const dbPath = `${dir}/jobs.db`;
  const table = await JobsTable.create(dbPath);
  cleanup.defer(() => table.close());
  screen.line(`- Created the jobs table in ${dbPath} (examples/schema.sqlite.sql)`);

  const masterPort = freePort();
  await Deno.writeTextFile(
    `${dir}/jobd-master.conf`,
    iniText({
      host: "127.0.0.1",
      port: masterPort,
      ping_interval: 30,
      poke_throttle_interval: 0.2,
    }),
  );
  const master = startDaemon("jobd-master", `${dir}/jobd-master.conf`, dir);
  cleanup.defer(() => disposeDaemon(master));
  await master.waitForPort(masterPort, STEP_TIMEOUT_SECONDS);
  screen.line(`- Started jobd-master on 127.0.0.1:${masterPort}`);

  const workerPort = freePort();
  const workerConfig = iniText({
    host: "127.0.0.1",
    port: workerPort,
    name: WORKER_NAME,
    master_host: "127.0.0.1",
    master_port: masterPort,
    master_reconnect_timeout: 1,
    storage: "sqlite",
    sqlite_path: dbPath,
    launcher: `${templateWord(`${ROOT}examples/quickstart-job.sh`)} {id}`,
    "launcher.cwd": dir,
    poll_interval: 0,
    shutdown_timeout: 10,
  }, {
    targets: Object.fromEntries(TARGETS),
    [`target:${TIME_TARGET}`]: { max_attempts: 3, retry_delay: 2 },
  });
  await Deno.writeTextFile(`${dir}/jobd.conf`, workerConfig);
  const worker = startDaemon("jobd", `${dir}/jobd.conf`, dir);
  cleanup.defer(() => disposeDaemon(worker));
  await worker.waitForPort(workerPort, STEP_TIMEOUT_SECONDS);
  const served = [...TARGETS].map(([name, concurrency]) => `${name} (concurrency ${concurrency})`);
  screen.line(
    `- Started jobd '${WORKER_NAME}' on 127.0.0.1:${workerPort}, serving ${served.join(", ")}, ` +
      `with this jobd.conf:`,
  );
  showIndented(screen, workerConfig);

  const client = await MasterClient.connect({ host: "127.0.0.1", port: masterPort, timeout: 60 });
  cleanup.defer(() => client.close());
  await waitForRegistration(client, worker);
  screen.line(`- The worker registered with the master`);

  const background = [...BACKGROUND_JOBS].flatMap(([target, count]) =>
    table.insert(target, count, "waiting")
  );
  const [viaMaster, viaJobctl] = table.insert(MANUAL_TARGET, 2, "manual");
  screen.line(
    `- Inserted ${background.length} background jobs (status 'waiting': ` +
      `${[...BACKGROUND_JOBS].map(([target, count]) => `${count} ${target}`).join(", ")}) ` +
      `and 2 manual jobs (status 'manual': ${viaMaster}, ${viaJobctl})`,
  );
  await client.poke([...BACKGROUND_JOBS.keys()]);
  screen.line(`- Poked ${[...BACKGROUND_JOBS.keys()].join(", ")} through the master:`);
  await watchJobs(screen, table, background, worker, signal);

  screen.line(`- Ran manual job ${viaMaster} through the master (run-manual waits for the end):`);
  const reply = await client.runManual([{ id: viaMaster, target: MANUAL_TARGET }]);
  if (reply.errors?.[viaMaster] !== undefined) {
    throw new QuickstartError(`run-manual of job ${viaMaster}: ${reply.errors[viaMaster]}`);
  }
  const [masterRow] = table.rows([viaMaster]);
  screen.line(describeJob(masterRow));
  checkSucceeded(masterRow);

  const jobctlConfig = `${dir}/jobctl.conf`;
  await Deno.writeTextFile(jobctlConfig, "");
  screen.line(`- Ran manual job ${viaJobctl} with jobctl:`);
  const manualArgs = ["--master", "--port", String(masterPort), "run-manual"];
  const jobArg = `${MANUAL_TARGET}:${viaJobctl}`;
  showCommand(
    screen,
    `jobctl ${[...manualArgs, jobArg].join(" ")}`,
    await jobctl([...manualArgs, jobArg], { emptyConfig: jobctlConfig, signal }),
  );
  const [jobctlRow] = table.rows([viaJobctl]);
  screen.line(describeJob(jobctlRow));
  checkSucceeded(jobctlRow);

  const lastId = await deferredAndRetried(screen, table, { dir, client, worker, signal });
  await showSchedule(screen, { dir, table, worker, workerConfig, lastId, signal });
  const schedulesArgs = ["--master", "--port", String(masterPort), "schedules"];
  showCommand(
    screen,
    `jobctl ${schedulesArgs.join(" ")}`,
    await jobctl(schedulesArgs, { emptyConfig: jobctlConfig, signal }),
  );

  screen.line(`- The master's workers:`);
  const listArgs = ["--master", "--port", String(masterPort), "list-workers"];
  showCommand(
    screen,
    `jobctl ${listArgs.join(" ")}`,
    await jobctl(listArgs, { emptyConfig: jobctlConfig, signal }),
  );

  client.close();
  await stopDaemon(worker);
  await stopDaemon(master);
  table.close();
  await Deno.remove(dir, { recursive: true });
  screen.line(`- Stopped the worker and the master (SIGTERM, exit 0) and removed ${dir}`);
  screen.line();
  screen.line(
    `All ${
      background.length + 4
    } jobs done. Next: README.md ("Install", then "jobd (the worker)").`,
  );
}

/** Waits until job `id` is `done`, calling `onRow` with its row on each look. */
async function waitForDone(
  table: JobsTable,
  id: number,
  worker: Daemon,
  signal: AbortSignal,
  onRow: (row: JobRow) => void = () => {},
): Promise<JobRow> {
  const deadline = Date.now() + JOBS_TIMEOUT_SECONDS * 1000;
  while (!signal.aborted) {
    await worker.assertRunning("while the quick start ran");
    const [row] = table.rows([id]);
    onRow(row);
    if (row.status === "done") return row;
    if (Date.now() > deadline) {
      throw new QuickstartError(
        `Job ${id} did not end within ${JOBS_TIMEOUT_SECONDS} s (it is ${row.status})\n` +
          await outputOf(worker),
      );
    }
    await pause(WATCH_INTERVAL_MS);
  }
  throw new QuickstartError("interrupted");
}

/**
 * A deferred job (status `delayed`, run at its `time_run_at` without another
 * poke) and a job that fails once and is retried after a delay
 * (`max_attempts` in the `[target:mail]` section). Resolves to the last id
 * inserted.
 */
async function deferredAndRetried(
  screen: Screen,
  table: JobsTable,
  context: { dir: string; client: MasterClient; worker: Daemon; signal: AbortSignal },
): Promise<number> {
  const { dir, client, worker, signal } = context;
  const runAt = Math.floor(Date.now() / 1000) + DEFER_SECONDS;
  const deferred = table.insertDelayed(TIME_TARGET, runAt);
  await client.poke([TIME_TARGET]);
  screen.line(
    `- Inserted deferred job ${deferred} (status 'delayed', time_run_at = now + ` +
      `${DEFER_SECONDS} s) and poked ${TIME_TARGET}; the worker sleeps until its time:`,
  );
  const deferredRow = await waitForDone(table, deferred, worker, signal);
  screen.line(
    `${describeJob(deferredRow)} [started ${
      deferredRow.time_started - runAt
    } s after its time_run_at]`,
  );
  checkSucceeded(deferredRow);

  const [retried] = table.insert(TIME_TARGET, 1, "waiting");
  // quickstart-job.sh fails a job once when this file exists in its directory.
  await Deno.writeTextFile(`${dir}/fail-once-${retried}`, "");
  await client.poke([TIME_TARGET]);
  screen.line(
    `- Inserted job ${retried}, which fails on its first attempt; [target:${TIME_TARGET}] has ` +
      `max_attempts = 3, retry_delay = 2:`,
  );
  let shownDelayed = false;
  const retriedRow = await waitForDone(table, retried, worker, signal, (row) => {
    if (row.status !== "delayed" || shownDelayed) return;
    shownDelayed = true;
    screen.line(
      `${describeJob(row)} [attempt ${row.attempts} failed; waits as 'delayed' for its retry]`,
    );
  });
  screen.line(`${describeJob(retriedRow)} [attempt ${retriedRow.attempts}]`);
  checkSucceeded(retriedRow);
  return retried;
}

/** Runs the quick start; resolves to the exit status. Ctrl-C cleans up too. */
async function main(): Promise<number> {
  const screen = new Screen();
  const cleanup = new AsyncDisposableStack();
  const interrupted = Promise.withResolvers<"interrupted">();
  const onInterrupt = () => interrupted.resolve("interrupted");
  Deno.addSignalListener("SIGINT", onInterrupt);
  const abort = new AbortController();
  const running = quickstart(screen, cleanup, abort.signal);
  try {
    if (await Promise.race([running, interrupted.promise]) === "interrupted") {
      // What is left of the run fails once its daemons are gone: nobody waits for it.
      running.catch(() => {});
      abort.abort();
      screen.mute();
      console.error("\nquickstart: interrupted; stopping the daemons and removing the files");
      return 130;
    }
    return 0;
  } catch (error) {
    screen.endProgress();
    const message = error instanceof QuickstartError || error instanceof DaemonError
      ? error.message
      : error instanceof Error
      ? error.stack ?? error.message
      : String(error);
    console.error(`\nquickstart: failed: ${message}`);
    return 1;
  } finally {
    await cleanup.disposeAsync();
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

if (import.meta.main) Deno.exit(await main());
