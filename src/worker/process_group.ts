/**
 * Every job in a process group of its own: how the
 * launcher is started in a new session, how a signal reaches the whole group,
 * and how what is left of the group is ended once the launcher exits.
 *
 * The launcher is started through util-linux `setsid` (`setsid -- PROGRAM
 * ARGS`): the worker spawns `setsid` with Deno's fast path (posix_spawn, whose
 * cost does not grow with the worker's memory); `setsid` makes itself the
 * leader of a new session and process group and then executes the launcher,
 * which keeps its pid. A freshly spawned process is never a group leader, so
 * `setsid` never forks and the launcher's pid is its group id. Where `setsid`
 * is not on the PATH (macOS), Deno's `detached: true` does the same in the
 * child before `exec`, at the cost of a `fork` (bench/README.md, "Process
 * groups").
 *
 * A process that makes a session or group of its own (`setsid`, `setpgid`,
 * a daemonizing program) leaves the job's group: signals sent to the job do
 * not reach it, and it is not ended with the job. If it keeps the job's
 * pipes open, the worker stops reading them a moment after the launcher's
 * group was ended (see {@linkcode ProcessGroup.launcherExited}).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const log = getLogger(["jobd", "worker"]);

/**
 * How long what is left of a job's group has, after the SIGTERM sent when
 * the launcher exited, before it gets SIGKILL.
 */
export const LEFTOVER_GRACE_MS = 2_000;

/**
 * How much longer the job's pipes are read after that SIGKILL: if they are
 * still open then, a process outside the group holds them, and the job ends
 * with the output read so far.
 */
export const PIPES_AFTER_KILL_MS = 1_000;

/**
 * How jobs are put in a group of their own: the path of `setsid`, or `null`
 * for Deno's `detached: true` (a `fork` per job).
 */
export type GroupStart = string | null;

/**
 * The `setsid` program on the worker's PATH, or `null` when there is none
 * (jobs then start with `detached: true`). The daemon looks it up once per
 * config load; see {@linkcode NO_SETSID_WARNING}.
 */
export function findGroupStart(): GroupStart {
  return findProgram("setsid") ?? null;
}

/** What the worker logs when it found no `setsid`. */
export const NO_SETSID_WARNING = "No 'setsid' program on the PATH: each job starts with fork() " +
  "to get a process group of its own, which costs more as the worker's memory grows";

/** The first executable file called `name` in the directories of `path`. */
export function findProgram(
  name: string,
  path: string | undefined = Deno.env.get("PATH"),
): string | undefined {
  for (const dir of (path ?? "").split(":")) {
    if (!dir.startsWith("/")) continue;
    const file = `${dir.replace(/\/+$/, "")}/${name}`;
    try {
      const info = Deno.statSync(file);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return file;
    } catch {
      // Not there, or not readable: look further.
    }
  }
  return undefined;
}

/** What to spawn: the program and its arguments, as `Deno.Command` takes them. */
export interface GroupCommand {
  program: string;
  args: string[];
  detached: boolean;
}

/** The command that runs `argv` as the leader of a new process group (and session). */
export function groupCommand(argv: readonly string[], start: GroupStart): GroupCommand {
  if (start === null) return { program: argv[0], args: argv.slice(1), detached: true };
  return { program: start, args: ["--", ...argv], detached: false };
}

/**
 * Whether a launcher started through `setsid` never ran: `setsid` could not
 * execute `program` and said so (its only output, one line on stderr naming
 * the program) with status 127 (not found) or 126 (not executable).
 *
 * @returns the error as a spawn of the program itself would have thrown it,
 *   or undefined when the launcher ran
 */
export function setsidExecFailure(
  program: string,
  status: Deno.CommandStatus,
  stdout: string,
  stderr: string,
): Error | undefined {
  if (status.code !== 126 && status.code !== 127) return undefined;
  if (stdout !== "" || !stderr.startsWith("setsid: ") || !stderr.includes(program)) {
    return undefined;
  }
  if (stderr.trimEnd().includes("\n")) return undefined;
  const message = stderr.slice("setsid: ".length).trimEnd();
  return status.code === 127
    ? new Deno.errors.NotFound(message)
    : new Deno.errors.PermissionDenied(message);
}

/** A call due at a time (performance.now() ms), unless deleted before. */
interface Due {
  readonly at: number;
  readonly call: () => void;
}

/**
 * Calls due after one delay, the queue's own, under one unref'd timer: every
 * job's pipes are watched after its launcher exits, and a timer of its own
 * per job (set, then cleared a moment later when the pipes close) cost about
 * 1.5 % of a busy worker's CPU. With one delay for all, the order the calls
 * are added in is the order they fall due. The timer is armed for the
 * earliest call still waiting; when that one was deleted meanwhile it is
 * armed again for the next.
 */
export class DueCalls {
  readonly #delayMs: number;
  readonly #waiting = new Set<Due>();
  #armed = false;

  /** A queue whose calls are due `delayMs` after they are added. */
  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  /** Calls `call` after this queue's delay unless `delete`d before. */
  add(call: () => void): Due {
    const due = { at: performance.now() + this.#delayMs, call };
    this.#waiting.add(due);
    if (!this.#armed) this.#arm(this.#delayMs);
    return due;
  }

  delete(due: Due): void {
    this.#waiting.delete(due);
  }

  #arm(ms: number): void {
    this.#armed = true;
    Deno.unrefTimer(setTimeout(() => this.#fire(), Math.max(0, ms)));
  }

  #fire(): void {
    this.#armed = false;
    const now = performance.now();
    for (const due of this.#waiting) {
      if (due.at > now) {
        this.#arm(due.at - now);
        return;
      }
      this.#waiting.delete(due);
      due.call();
    }
  }
}

/**
 * The process group of one job, led by its launcher: the group id is the
 * launcher's pid.
 */
export class ProcessGroup {
  /** The watch of every exited launcher's pipes (see {@linkcode DueCalls}). */
  static readonly #pipeWatch = new DueCalls(LEFTOVER_GRACE_MS + PIPES_AFTER_KILL_MS);
  readonly #leader: Deno.ChildProcess;
  #leaderExited = false;
  #ended = false;
  /** The SIGKILL due to what is left after the launcher exited, while the grace runs. */
  #pendingKill: ReturnType<typeof setTimeout> | undefined;
  readonly #settled = Promise.withResolvers<void>();

  constructor(leader: Deno.ChildProcess) {
    if (!Number.isSafeInteger(leader.pid) || leader.pid <= 1) {
      // kill(-1) would signal every process the worker may signal.
      throw new RangeError(`Cannot use process ${leader.pid} as a process group`);
    }
    this.#leader = leader;
  }

  /** The group id: the launcher's pid. */
  get id(): number {
    return this.#leader.pid;
  }

  /**
   * Sends `signal` to every process of the group. Right after the spawn,
   * before the launcher has made its group, the launcher alone gets it.
   *
   * @returns true when some process got it; false once the group is gone or
   *   was given up ({@linkcode ProcessGroup.forget})
   */
  signal(signal: Deno.Signal): boolean {
    if (this.#ended) return false;
    try {
      Deno.kill(-this.id, signal);
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || this.#leaderExited) return false;
    }
    // No such group yet: `setsid` has not run in the new process.
    try {
      this.#leader.kill(signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends what is left of the group once the launcher has exited: SIGTERM at
   * once and, when something was left, SIGKILL after
   * {@linkcode LEFTOVER_GRACE_MS}. When the job's pipes (`pipesClosed`) are
   * still open {@linkcode PIPES_AFTER_KILL_MS} after that, a process outside
   * the group holds them: `stopReading` is called.
   */
  launcherExited(pipesClosed: Promise<unknown>, stopReading: () => void): void {
    this.#leaderExited = true;
    const leftovers = this.signal("SIGTERM");
    if (leftovers) {
      log.info("The launcher of process group {pgid} exited; sent SIGTERM to the rest", {
        pgid: this.id,
      });
      // A process of the group that closed its pipes may ignore SIGTERM:
      // SIGKILL whether or not the pipes have closed meanwhile.
      this.#pendingKill = setTimeout(() => this.killLeftovers(), LEFTOVER_GRACE_MS);
      Deno.unrefTimer(this.#pendingKill);
    } else {
      this.forget();
    }
    const watched = ProcessGroup.#pipeWatch.add(stopReading);
    pipesClosed.finally(() => ProcessGroup.#pipeWatch.delete(watched));
  }

  /**
   * Resolves once nothing more will be sent to the group: at once when
   * nothing was left of it when the launcher exited, else after the SIGKILL.
   */
  get settled(): Promise<void> {
    return this.#settled.promise;
  }

  /**
   * Sends the SIGKILL due to what is left after the launcher exited now,
   * instead of after the grace (the worker is about to exit); nothing when
   * none is due.
   */
  killLeftovers(): void {
    if (this.#pendingKill === undefined) return;
    clearTimeout(this.#pendingKill);
    this.#pendingKill = undefined;
    if (this.signal("SIGKILL")) {
      log.warn("Sent SIGKILL to what was left of process group {pgid}", { pgid: this.id });
    }
    this.forget();
  }

  /**
   * Signals nothing from now on: the group is empty, and its id may one day
   * be another group's.
   */
  forget(): void {
    this.#ended = true;
    this.#settled.resolve();
  }
}
