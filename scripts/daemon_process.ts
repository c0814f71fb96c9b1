/**
 * Daemons as subprocesses, the one module the quick start, the tests and
 * the benchmark share: a free loopback port, the text of an ini config, the
 * argv that runs a program with exactly its binary's flags, and
 * {@linkcode Daemon} (start, wait until it listens, stop with a grace period,
 * its output kept for error messages).
 *
 * Reads no environment: the quick start runs without `--allow-env`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { ENTRY_POINTS, type Program, runFlags } from "./permissions.ts";

/** The repository root, ending in `/`. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * Where {@linkcode freePort} looks: below Linux's default range of ports
 * for outgoing connections (32768-60999), so that none of the many
 * connections a run opens (to MariaDB, between daemons) takes the port
 * between the moment it is handed out and the moment a daemon binds it.
 */
const FREE_PORT_RANGE = { first: 20_000, last: 32_767 } as const;

/** Ports this process has handed out: never the same one twice. */
const handedOut = new Set<number>();

/** A free TCP port on 127.0.0.1 (bound and released), not handed out before by this process. */
export function freePort(): number {
  const { first, last } = FREE_PORT_RANGE;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = first + Math.floor(Math.random() * (last - first + 1));
    if (handedOut.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) continue;
      throw error;
    }
    handedOut.add(port);
    return port;
  }
  // The range is crowded: any port the OS picks.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  handedOut.add(port);
  return port;
}

/** Ini text from global keys (`undefined` values left out) and optional sections. */
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

/** The arguments of `deno` that run `program` from source with its binary's flags. */
export function programArgs(program: Program, args: readonly string[]): string[] {
  return ["run", ...runFlags(program), `${ROOT}${ENTRY_POINTS[program]}`, ...args];
}

/** A daemon that exited, or did not listen, when it should have; the message has its output. */
export class DaemonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonError";
  }
}

/** How to start a {@linkcode Daemon}. */
export interface DaemonOptions {
  args?: readonly string[];
  cwd?: string;
  /** Added to the inherited environment, after `NO_COLOR=1`. */
  env?: Record<string, string>;
  /** Write stdout and stderr to this file instead of keeping them in memory. */
  logPath?: string;
  stdin?: "piped" | "null";
}

function pause(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/**
 * A program running as a subprocess, named for messages. Its stdout and
 * stderr are read to the end: kept in memory (each on its own and both in
 * the order they came), or written to `logPath`.
 */
export class Daemon implements AsyncDisposable {
  readonly name: string;
  readonly logPath: string | undefined;
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #chunks: { stream: "stdout" | "stderr"; text: string }[] = [];
  readonly #drained: Promise<unknown>;
  #exitStatus: Deno.CommandStatus | undefined;

  /** Starts `command` (a path, or `Deno.execPath()` with {@linkcode programArgs}). */
  constructor(name: string, command: string | URL, options: DaemonOptions = {}) {
    this.name = name;
    this.logPath = options.logPath;
    this.#child = new Deno.Command(command, {
      args: [...options.args ?? []],
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.#child.status.then((status) => this.#exitStatus = status);
    this.#drained = options.logPath === undefined
      ? Promise.all([
        this.#keep(this.#child.stdout, "stdout"),
        this.#keep(this.#child.stderr, "stderr"),
      ])
      : this.#writeLog(options.logPath);
  }

  /** Runs `program` from source with exactly its binary's flags (scripts/permissions.ts). */
  static program(
    program: Program,
    args: readonly string[],
    options: Omit<DaemonOptions, "args"> = {},
  ): Daemon {
    return new Daemon(program, Deno.execPath(), { ...options, args: programArgs(program, args) });
  }

  async #keep(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr"): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      this.#chunks.push({ stream: name, text });
    }
  }

  async #writeLog(path: string): Promise<void> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const writer = file.writable.getWriter();
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) await writer.write(chunk);
    };
    try {
      await Promise.all([copy(this.#child.stdout), copy(this.#child.stderr)]);
    } finally {
      await writer.close().catch(() => {});
    }
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The exit status once the process has exited. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exitStatus;
  }

  /** What the process has written to stdout so far (kept in memory only). */
  get stdout(): string {
    return this.#text("stdout");
  }

  /** What the process has written to stderr so far (kept in memory only). */
  get stderr(): string {
    return this.#text("stderr");
  }

  #text(stream?: "stdout" | "stderr"): string {
    return this.#chunks.filter((chunk) => stream === undefined || chunk.stream === stream)
      .map((chunk) => chunk.text).join("");
  }

  /**
   * Its output so far, stdout and stderr as they came (read from the log
   * file with `logPath`): all of it, or its last `lines` lines.
   */
  async output(lines = Infinity): Promise<string> {
    const text = this.logPath === undefined
      ? this.#text()
      : await Deno.readTextFile(this.logPath).catch(() => "");
    const all = text.trimEnd().split("\n");
    return all.slice(Math.max(0, all.length - lines)).join("\n");
  }

  /** Throws a {@linkcode DaemonError} with the output's end if the process has exited. */
  async assertRunning(when = "while it should run"): Promise<void> {
    if (this.#exitStatus === undefined) return;
    await this.#drained;
    throw new DaemonError(
      `${this.name} exited with status ${this.#exitStatus.code} ${when}:\n${await this.output(40)}`,
    );
  }

  /**
   * Waits until `port` on 127.0.0.1 accepts connections; throws a
   * {@linkcode DaemonError} if the process exits first or after `seconds`.
   */
  async waitForPort(port: number, seconds = 30): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      await this.assertRunning(`before listening on 127.0.0.1:${port}`);
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return;
      } catch {
        await pause(50);
      }
    }
    throw new DaemonError(
      `${this.name} does not listen on 127.0.0.1:${port} after ${seconds} s:\n` +
        await this.output(40),
    );
  }

  /** Sends a signal; false if the process has already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): boolean {
    if (this.#exitStatus !== undefined) return false;
    try {
      this.#child.kill(signal);
      return true;
    } catch {
      return false; // It has just exited.
    }
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited after `graceSeconds`; resolves
   * once it has exited and its output is read, with `forced` when it had to
   * be killed.
   */
  async stop(graceSeconds = 10): Promise<{ status: Deno.CommandStatus; forced: boolean }> {
    this.kill("SIGTERM");
    let status = await Promise.race([this.status, pause(graceSeconds * 1000)]);
    const forced = status === undefined;
    if (status === undefined) {
      this.kill("SIGKILL");
      status = await this.status;
    }
    await this.#drained;
    return { status, forced };
  }

  /** Waits for exit; resolves with the status and all output kept in memory. */
  async finished(): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
    const [status] = await Promise.all([this.status, this.#drained]);
    return { status, stdout: this.stdout, stderr: this.stderr };
  }

  /** {@linkcode stop} with the default grace. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
