/**
 * Runs one job's launcher process (ARCHITECTURE.md, "The life of a job"; README.md, `launcher`;
 * process groups: process_group.ts).
 *
 * The launcher is spawned without a shell, as the leader of a process group
 * of its own (process_group.ts), with stdin closed and both output pipes
 * captured up to a bound. Signals go to the whole group. When the launcher
 * exits, what is left of its group is ended, so that the pipes close and the
 * job ends with the launcher's status at once; output written before then is
 * never lost. Nothing here throws or rejects: a launcher that cannot be
 * started ends as `fail` with the reason in stderr.
 *
 * @module
 */

import type { JobOutcome } from "../job.ts";
import { expandCommand } from "./command_template.ts";
import { captureOutput, type ReadBufferPool } from "./output_capture.ts";
import {
  findGroupStart,
  groupCommand,
  type GroupStart,
  ProcessGroup,
  setsidExecFailure,
} from "./process_group.ts";
import { isTransientSpawnError } from "./spawn_errors.ts";
import { jobVariables, type WorkerIdentity } from "./leftover_jobs.ts";
import { messageOf } from "../text.ts";

/** How to start the launcher of every job. */
export interface LauncherSettings {
  /** The parsed `launcher` template (`{id}` not yet replaced), program first. */
  argv: readonly string[];
  /** Working directory (`launcher.cwd`); the daemon's own when absent. */
  cwd?: string;
  /** Variables added on top of the daemon's environment (`launcher.env.*`). */
  env: Record<string, string>;
  /** Bound on captured bytes, applied to stdout and to stderr separately. */
  maxOutputBytes: number;
  /**
   * Where the pipes' read buffers come from and go back to, shared by the
   * jobs of one worker; each pipe gets a buffer of its own when absent.
   */
  readBuffers?: ReadBufferPool;
  /**
   * How each job gets a process group of its own: the path of `setsid`, or
   * `null` for Deno's `detached: true`. When absent, `setsid` is looked for
   * on the PATH at each launch (the daemon sets it once per config load).
   */
  groupStart?: GroupStart;
  /**
   * The worker's name and table, given to each job as `JOBD_WORKER`,
   * `JOBD_TABLE` and `JOBD_JOB_ID` (over `env`): how a restarted worker
   * finds the jobs a killed one left running (leftover_jobs.ts).
   */
  identity?: WorkerIdentity;
}

/** A launcher process that was started, or failed to start. */
export interface LaunchedJob {
  /**
   * Process id, which is also the job's process group id; undefined when no
   * process could be started.
   */
  readonly pid: number | undefined;
  /**
   * Whether the launcher could not be started for a reason that may pass
   * (too many open files, no memory for a new process): its `done` tells
   * why, and starting the job again later may succeed.
   */
  readonly retryable: boolean;
  /**
   * Sends a signal to the job's process group: the launcher and every
   * process it started that did not leave the group. The one way to signal a
   * job (send-signal, shutdown, timeouts).
   *
   * @returns true when some process of the job got it, false once the job
   *   has ended (or nothing of it is left) or when it never started
   */
  signal(sig: Deno.Signal): boolean;
  /**
   * Resolves once nothing of the job's group is waited for any more: at once
   * when the launcher left nothing behind, else after the SIGKILL that ends
   * what it left (process_group.ts). Never rejects.
   */
  readonly settled: Promise<void>;
  /**
   * Sends the SIGKILL to what the launcher left behind now instead of after
   * the grace: for a worker about to exit. Nothing when nothing is due.
   */
  killLeftovers(): void;
  /** How the job ended, once the process exited and both pipes are read. Never rejects. */
  readonly done: Promise<JobOutcome>;
}

/**
 * Starts the launcher of job `jobId`: `{id}` in the template's arguments
 * becomes the job id, the program runs in `settings.cwd` with
 * `settings.env` (and the job's variables of `settings.identity`) added to
 * the daemon's environment.
 *
 * Exit code 0 ends as `ok`, any other as `fail`; a process killed by a signal
 * ends as `fail` with `code: null` and the signal's name. A launcher that
 * cannot be started (missing program, not executable, bad working directory)
 * ends as `fail` with `code: null`, `signal: null` and the reason in stderr.
 */
export function launchJob(jobId: number, settings: LauncherSettings): LaunchedJob {
  let argv: string[];
  try {
    argv = expandCommand(settings.argv, jobId);
  } catch (error) {
    return new UnstartedJob(Promise.resolve(`Cannot start job ${jobId}: ${messageOf(error)}`));
  }
  const max = settings.maxOutputBytes;
  if (!Number.isSafeInteger(max) || max < 0) {
    return new UnstartedJob(
      Promise.resolve(`Cannot start job ${jobId}: invalid output limit '${max}'`),
    );
  }
  const program = argv[0];
  if (program === undefined || program === "") {
    return new UnstartedJob(
      Promise.resolve(`Cannot start job ${jobId}: the launcher command is empty`),
    );
  }
  const groupStart = settings.groupStart === undefined ? findGroupStart() : settings.groupStart;
  const command = groupCommand(argv, groupStart);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command.program, {
      args: command.args,
      cwd: settings.cwd,
      env: settings.identity === undefined
        ? settings.env
        : { ...settings.env, ...jobVariables(settings.identity, jobId) },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: command.detached,
    }).spawn();
  } catch (error) {
    const reason = groupStart === null
      ? describeSpawnFailure(error, jobId, program, settings)
      : describeSetsidFailure(groupStart, jobId).then((setsidReason) =>
        setsidReason ?? describeSpawnFailure(error, jobId, program, settings)
      );
    return new UnstartedJob(reason, isTransientSpawnError(error));
  }
  return new StartedJob(jobId, child, settings, groupStart === null ? undefined : program);
}

/** A launcher process that started, in a process group of its own. */
class StartedJob implements LaunchedJob {
  readonly #child: Deno.ChildProcess;
  readonly #group: ProcessGroup;
  #ended = false;
  readonly retryable = false;
  readonly done: Promise<JobOutcome>;

  /**
   * `setsidProgram`: the program `setsid` was asked to execute, when the
   * launcher was started through it (whose failure to execute it is then
   * told from the launcher's own exit).
   */
  constructor(
    jobId: number,
    child: Deno.ChildProcess,
    settings: LauncherSettings,
    setsidProgram: string | undefined,
  ) {
    const { maxOutputBytes, readBuffers } = settings;
    this.#child = child;
    this.#group = new ProcessGroup(child);
    const stopReading = new AbortController();
    const capture = (stream: ReadableStream<Uint8Array>) =>
      captureOutput(stream, maxOutputBytes, { buffers: readBuffers, stop: stopReading.signal });
    const stdout = capture(child.stdout);
    const stderr = capture(child.stderr);
    const status = child.status.then((status) => {
      this.#group.launcherExited(Promise.all([stdout, stderr]), () => {
        stopReading.abort(
          "stopped reading: the pipe was still open after the job's process group was " +
            "ended (held by a process that left the group)",
        );
      });
      return status;
    });
    const outcome = Promise.all([status, stdout, stderr]).then(
      async ([status, stdout, stderr]): Promise<JobOutcome> => {
        const common = { stdout: stdout.text, stderr: stderr.text };
        if (status.signal !== null) {
          return { result: "fail", code: null, signal: status.signal, ...common };
        }
        if (setsidProgram !== undefined) {
          const notRun = setsidExecFailure(setsidProgram, status, stdout.text, stderr.text);
          if (notRun !== undefined) {
            return failure(await describeSpawnFailure(notRun, jobId, setsidProgram, settings));
          }
        }
        return {
          result: status.code === 0 ? "ok" : "fail",
          code: status.code,
          signal: null,
          ...common,
        };
      },
    );
    this.done = outcome.catch((error) =>
      failure(`Cannot follow job ${jobId} (pid ${child.pid}): ${messageOf(error)}`)
    ).finally(() => {
      this.#ended = true;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  signal(sig: Deno.Signal): boolean {
    return !this.#ended && this.#group.signal(sig);
  }

  get settled(): Promise<void> {
    return this.#group.settled;
  }

  killLeftovers(): void {
    this.#group.killLeftovers();
  }
}

/** A launcher that could not be started. */
class UnstartedJob implements LaunchedJob {
  readonly pid = undefined;
  readonly done: Promise<JobOutcome>;
  readonly retryable: boolean;

  constructor(reason: Promise<string>, retryable = false) {
    this.done = reason.then(failure);
    this.retryable = retryable;
  }

  readonly settled = Promise.resolve();

  signal(): boolean {
    return false;
  }

  killLeftovers(): void {}
}

/** A failed job with no exit code, no signal and the reason in stderr. */
function failure(reason: string): JobOutcome {
  return { result: "fail", code: null, signal: null, stdout: "", stderr: reason };
}

/** Turns a spawn error into a reason naming the program or the working directory. */
async function describeSpawnFailure(
  error: unknown,
  jobId: number,
  program: string,
  settings: LauncherSettings,
): Promise<string> {
  const prefix = `Cannot start job ${jobId}: the launcher '${program}'`;
  try {
    if (settings.cwd !== undefined) {
      const cwd = await statOrUndefined(settings.cwd);
      if (cwd === undefined) {
        return `Cannot start job ${jobId}: the working directory '${settings.cwd}' does not exist`;
      }
      if (!cwd.isDirectory) {
        return `Cannot start job ${jobId}: the working directory '${settings.cwd}' is not a directory`;
      }
    }
    if (error instanceof Deno.errors.NotFound) {
      if (!program.includes("/")) return `${prefix} was not found in PATH`;
      const file = await statOrUndefined(resolveProgram(program, settings.cwd));
      return file === undefined
        ? `${prefix} does not exist`
        : `${prefix} exists, but its interpreter (the #! line) was not found`;
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      const file = program.includes("/")
        ? await statOrUndefined(resolveProgram(program, settings.cwd))
        : undefined;
      return file?.isDirectory
        ? `${prefix} is a directory`
        : `${prefix} cannot be run: permission denied (is it an executable file?)`;
    }
  } catch {
    // No permission to look further: the error's own text is the reason.
  }
  return `${prefix} cannot be run: ${messageOf(error)}`;
}

/**
 * The reason when `setsid` itself (the program that starts every job in a
 * group of its own) is gone or not executable any more; undefined when it is
 * fine, and the launcher is to blame.
 */
async function describeSetsidFailure(setsid: string, jobId: number): Promise<string | undefined> {
  const file = await statOrUndefined(setsid).catch(() => undefined);
  if (file?.isFile && file.mode !== null && (file.mode & 0o111) !== 0) return undefined;
  return `Cannot start job ${jobId}: '${setsid}', which starts each job in a process group ` +
    `of its own, ${file === undefined ? "does not exist" : "is not an executable file"} ` +
    `(found at start-up or reload; reload the worker after installing util-linux)`;
}

function resolveProgram(program: string, cwd: string | undefined): string {
  return program.startsWith("/") ? program : `${cwd ?? Deno.cwd()}/${program}`;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}
