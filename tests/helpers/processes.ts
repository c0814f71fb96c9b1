/**
 * Starts the real programs as subprocesses, with exactly the permission
 * flags the compiled binaries get (scripts/permissions.ts), on free loopback
 * ports, and cleans them up with `await using`.
 */

import { Connection } from "../../src/net/connection.ts";
import { MasterClient, WorkerClient } from "../../src/net/client.ts";
import type { Program } from "../../scripts/permissions.ts";
import { Daemon, type DaemonOptions, programArgs } from "../../scripts/daemon_process.ts";

export { freePort, iniText, ROOT } from "../../scripts/daemon_process.ts";

/**
 * Deno's cache, passed on to every program started here: they may run with a
 * HOME of their own (so that no `~/.jobctl.conf` is found), which would move
 * the cache and fetch every npm package anew.
 */
export const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

/** A program running as a subprocess in a temporary directory of its own, removed on disposal. */
export class ProgramProcess extends Daemon {
  readonly dir: string;

  constructor(name: string, command: string, options: DaemonOptions & { dir: string }) {
    super(name, command, { ...options, cwd: options.cwd ?? options.dir });
    this.dir = options.dir;
  }

  /** What the process has written to stderr so far. */
  get stderrSoFar(): string {
    return this.stderr;
  }

  /** SIGKILL (if still running), wait, remove the temporary directory. */
  override async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.finished();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Runs a program with the given arguments, its permission flags and environment. */
export function spawnProgram(
  program: Program,
  args: string[],
  options: { dir?: string; env?: Record<string, string>; stdin?: "piped" | "null" } = {},
): ProgramProcess {
  const dir = options.dir ?? Deno.makeTempDirSync({ prefix: `jobd-${program}-` });
  return new ProgramProcess(program, Deno.execPath(), {
    args: programArgs(program, args),
    dir,
    env: { DENO_DIR, ...options.env },
    stdin: options.stdin,
  });
}

/** A finished program's exit status and output. */
export interface ProgramOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** A finished command's exit code and its output as text. */
export function decodeOutput(output: Deno.CommandOutput): ProgramOutput {
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs a program to completion (jobctl, say) and returns its status and output. */
export async function runProgram(
  program: Program,
  args: string[],
  options: { env?: Record<string, string> } = {},
): Promise<ProgramOutput> {
  const dir = Deno.makeTempDirSync({ prefix: `jobd-${program}-` });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: programArgs(program, args),
      cwd: dir,
      env: { NO_COLOR: "1", HOME: dir, DENO_DIR, ...options.env },
      stdin: "null",
    }).output();
    return decodeOutput(output);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Runs jobctl with `args` in a fresh HOME; resolves with its status and output. */
export function jobctl(...args: string[]): Promise<ProgramOutput> {
  return runProgram("jobctl", args);
}

/** Whether process `pid` runs (a zombie counts as gone), from /proc. */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Stops process `pid` with SIGSTOP and resolves once every thread of it is
 * stopped (`T` in /proc): the signal is delivered asynchronously, and a
 * thread still running could answer a request sent right after `kill`.
 */
export async function freeze(pid: number): Promise<void> {
  Deno.kill(pid, "SIGSTOP");
  await waitFor(`process ${pid} stopped`, async () => {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "T") return false;
    }
    return true;
  }, 10);
}

/** Writes a config file and starts a daemon on it; resolves once it listens. */
export async function startDaemon(
  program: "jobd" | "jobd-master",
  config: string,
  options: { port: number; env?: Record<string, string>; dir?: string },
): Promise<{ process: ProgramProcess; configPath: string; port: number }> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: `jobd-${program}-` });
  const configPath = `${dir}/${program}.conf`;
  // Private, as a config with a password should be (the daemon warns otherwise).
  await Deno.writeTextFile(configPath, config, { mode: 0o600 });
  const process = spawnProgram(program, ["--config", configPath], { dir, env: options.env });
  await process.waitForPort(options.port);
  return { process, configPath, port: options.port };
}

/** A client of a worker on 127.0.0.1. */
export function workerClient(port: number, password?: string): Promise<WorkerClient> {
  return WorkerClient.connect({ host: "127.0.0.1", port, password, timeout: 60 });
}

/** A client of a master on 127.0.0.1. */
export function masterClient(port: number, password?: string): Promise<MasterClient> {
  return MasterClient.connect({ host: "127.0.0.1", port, password, timeout: 60 });
}

/** A raw connection (for protocol-level checks). */
export function rawConnection(port: number): Promise<Connection> {
  return Connection.connect("127.0.0.1", port);
}

/** Polls `check` every 50 ms until it returns a truthy value, or fails after `seconds`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  seconds = 30,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${seconds} s waiting for ${what}${last ? `: ${last}` : ""}`);
}
