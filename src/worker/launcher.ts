/**
 * Runs one job's launcher process (ARCHITECTURE.md, "The life of a job"; README.md, `launcher`).
 *
 * The launcher is spawned directly with `Deno.Command` (no shell), with stdin
 * closed and both output pipes captured up to a bound. A job ends only when
 * its process has exited and both pipes are read to their end, so output
 * written just before exit is never lost. Nothing here throws or rejects: a
 * launcher that cannot be started ends as `fail` with the reason in stderr.
 *
 * @module
 */

import type { JobOutcome } from "../job.ts";
import { expandCommand } from "./command_template.ts";
import { captureOutput, type ReadBufferPool } from "./output_capture.ts";
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
}

/** A launcher process that was started, or failed to start. */
export interface LaunchedJob {
  /** Process id; undefined when the process never started. */
  readonly pid: number | undefined;
  /**
   * Sends a signal to the launcher process only (not its children).
   *
   * @returns true when delivered to the running process, false once it has
   *   exited or when it never started
   */
  signal(sig: Deno.Signal): boolean;
  /** How the job ended, once the process exited and both pipes are read. Never rejects. */
  readonly done: Promise<JobOutcome>;
}

/**
 * Starts the launcher of job `jobId`: `{id}` in the template's arguments
 * becomes the job id, the program runs in `settings.cwd` with
 * `settings.env` added to the daemon's environment.
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
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: argv.slice(1),
      cwd: settings.cwd,
      env: settings.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return new UnstartedJob(describeSpawnFailure(error, jobId, program, settings));
  }
  return new StartedJob(jobId, child, settings);
}

/** A launcher process that started. */
class StartedJob implements LaunchedJob {
  readonly #child: Deno.ChildProcess;
  #exited = false;
  readonly done: Promise<JobOutcome>;

  constructor(jobId: number, child: Deno.ChildProcess, settings: LauncherSettings) {
    const { maxOutputBytes, readBuffers } = settings;
    this.#child = child;
    const status = child.status.finally(() => {
      this.#exited = true;
    });
    const outcome = Promise.all([
      status,
      captureOutput(child.stdout, maxOutputBytes, readBuffers),
      captureOutput(child.stderr, maxOutputBytes, readBuffers),
    ]).then(([status, stdout, stderr]): JobOutcome => {
      const common = { stdout: stdout.text, stderr: stderr.text };
      if (status.signal !== null) {
        return { result: "fail", code: null, signal: status.signal, ...common };
      }
      return {
        result: status.code === 0 ? "ok" : "fail",
        code: status.code,
        signal: null,
        ...common,
      };
    });
    this.done = outcome.catch((error) =>
      failure(`Cannot follow job ${jobId} (pid ${child.pid}): ${messageOf(error)}`)
    );
  }

  get pid(): number {
    return this.#child.pid;
  }

  signal(sig: Deno.Signal): boolean {
    if (this.#exited) return false;
    try {
      this.#child.kill(sig);
      return true;
    } catch {
      // Exited since the last look, or a signal this system does not have.
      return false;
    }
  }
}

/** A launcher that could not be started. */
class UnstartedJob implements LaunchedJob {
  readonly pid = undefined;
  readonly done: Promise<JobOutcome>;

  constructor(reason: Promise<string>) {
    this.done = reason.then(failure);
  }

  signal(): boolean {
    return false;
  }
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
