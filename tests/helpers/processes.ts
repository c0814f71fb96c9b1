/**
 * Starts the real programs as subprocesses, with exactly the permission
 * flags the compiled binaries get (scripts/permissions.ts), on free loopback
 * ports, and cleans them up with `await using`.
 */

import { fileURLToPath } from "node:url";
import { Connection } from "../../src/net/connection.ts";
import { MasterClient, WorkerClient } from "../../src/net/client.ts";
import { ENTRY_POINTS, type Program, runFlags } from "../../scripts/permissions.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Deno's cache, passed on to every program started here: they may run with a
 * HOME of their own (so that no `~/.jobctl.conf` is found), which would move
 * the cache and fetch every npm package anew.
 */
export const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Ini text from global keys and optional sections. */
export function iniText(
  globals: Record<string, string | number | boolean | undefined>,
  sections: Record<string, Record<string, string | number>> = {},
): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(globals)) {
    if (value !== undefined) lines.push(`${key} = ${value}`);
  }
  for (const [name, entries] of Object.entries(sections)) {
    lines.push("", `[${name}]`);
    for (const [key, value] of Object.entries(entries)) lines.push(`${key} = ${value}`);
  }
  return lines.join("\n") + "\n";
}

/** A program running as a subprocess. */
export class ProgramProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #output: Promise<{ stdout: string; stderr: string }>;
  readonly status: Promise<Deno.CommandStatus>;
  readonly dir: string;
  #stderrChunks: string[] = [];

  constructor(child: Deno.ChildProcess, dir: string) {
    this.#child = child;
    this.dir = dir;
    const decoder = () => new TextDecoderStream();
    const collect = async (stream: ReadableStream<Uint8Array>, sink?: string[]) => {
      let text = "";
      for await (const chunk of stream.pipeThrough(decoder())) {
        text += chunk;
        sink?.push(chunk);
      }
      return text;
    };
    this.#output = Promise.all([
      collect(child.stdout),
      collect(child.stderr, this.#stderrChunks),
    ]).then(([stdout, stderr]) => ({ stdout, stderr }));
    this.status = child.status;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** What the process has written to stderr so far. */
  get stderrSoFar(): string {
    return this.#stderrChunks.join("");
  }

  /** Sends a signal; false if the process has already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): boolean {
    try {
      this.#child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Waits for exit; resolves with the status and all output. */
  async finished(): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
    const [status, output] = await Promise.all([this.status, this.#output]);
    return { status, ...output };
  }

  /** SIGKILL (if still running), wait, remove the temporary directory. */
  async [Symbol.asyncDispose](): Promise<void> {
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
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...runFlags(program), `${ROOT}${ENTRY_POINTS[program]}`, ...args],
    cwd: dir,
    env: { NO_COLOR: "1", DENO_DIR, ...options.env },
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new ProgramProcess(child, dir);
}

/** A finished command's exit code and its output as text. */
export function decodeOutput(
  output: Deno.CommandOutput,
): { code: number; stdout: string; stderr: string } {
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
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = Deno.makeTempDirSync({ prefix: `jobd-${program}-` });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...runFlags(program), `${ROOT}${ENTRY_POINTS[program]}`, ...args],
      cwd: dir,
      env: { NO_COLOR: "1", HOME: dir, DENO_DIR, ...options.env },
      stdin: "null",
    }).output();
    return decodeOutput(output);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Waits until `port` on 127.0.0.1 accepts connections, or the process exits. */
export async function waitForPort(
  port: number,
  process: ProgramProcess,
  seconds = 30,
): Promise<void> {
  let exited = false;
  process.status.then(() => exited = true);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (exited) {
      const { stderr } = await process.finished();
      throw new Error(`The program exited before listening on port ${port}:\n${stderr}`);
    }
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`Nothing listens on port ${port} after ${seconds} s:\n${process.stderrSoFar}`);
}

/** Writes a config file and starts a daemon on it; resolves once it listens. */
export async function startDaemon(
  program: "jobd" | "jobd-master",
  config: string,
  options: { port: number; env?: Record<string, string>; dir?: string },
): Promise<{ process: ProgramProcess; configPath: string; port: number }> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: `jobd-${program}-` });
  const configPath = `${dir}/${program}.conf`;
  await Deno.writeTextFile(configPath, config);
  const process = spawnProgram(program, ["--config", configPath], { dir, env: options.env });
  await waitForPort(options.port, process);
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
