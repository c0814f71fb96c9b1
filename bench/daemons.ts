/**
 * The programs under test, started from command templates so that any
 * implementation speaking the same protocol and reading the same config keys
 * is measured the same way. Each runs without a shell (its pid is the
 * program's own, for the memory readings), with stdout and stderr written to
 * a log file beside its config.
 *
 * @module
 */

import { parse } from "shell-quote";

/** Turns a command template into argv: shell-style words, `{name}` replaced in each. */
export function templateArgv(template: string, replacements: Record<string, string>): string[] {
  const words = parse(template, Deno.env.toObject());
  if (words.length === 0) throw new Error(`Cannot run '${template}': the command is empty`);
  return words.map((word) => {
    if (typeof word !== "string") {
      throw new Error(
        `Cannot run '${template}': shell operators are not supported; ` +
          `wrap the command in a script instead`,
      );
    }
    return word.replace(/\{(\w+)\}/g, (match, name: string) => replacements[name] ?? match);
  });
}

/** A daemon started for the benchmark. */
export class Daemon implements AsyncDisposable {
  readonly name: string;
  readonly port: number;
  readonly logPath: string;
  readonly #child: Deno.ChildProcess;
  readonly #logged: Promise<void>;
  #exitStatus: Deno.CommandStatus | undefined;

  private constructor(name: string, port: number, logPath: string, child: Deno.ChildProcess) {
    this.name = name;
    this.port = port;
    this.logPath = logPath;
    this.#child = child;
    child.status.then((status) => this.#exitStatus = status);
    this.#logged = Daemon.#writeLog(child, logPath);
  }

  /**
   * Writes `config` to `DIR/NAME.conf`, starts the command made from
   * `template` and resolves once `port` on 127.0.0.1 accepts connections.
   * Throws with the log's end when the program exits first or is not
   * listening within 30 s.
   */
  static async start(
    name: string,
    options: { template: string; config: string; dir: string; port: number },
  ): Promise<Daemon> {
    const configPath = `${options.dir}/${name}.conf`;
    await Deno.writeTextFile(configPath, options.config);
    const [program, ...args] = templateArgv(options.template, { config: configPath });
    const child = new Deno.Command(program, {
      args,
      cwd: options.dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const daemon = new Daemon(name, options.port, `${options.dir}/${name}.log`, child);
    try {
      await daemon.#waitForPort(30_000);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  static async #writeLog(child: Deno.ChildProcess, path: string): Promise<void> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const writer = file.writable.getWriter();
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) await writer.write(chunk);
    };
    try {
      await Promise.all([copy(child.stdout), copy(child.stderr)]);
    } finally {
      await writer.close().catch(() => {});
    }
  }

  /** The process id of the program. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exitStatus !== undefined;
  }

  /** The last `lines` lines of the program's output. */
  async logTail(lines = 20): Promise<string> {
    const text = await Deno.readTextFile(this.logPath).catch(() => "");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Throws naming the daemon, with its log's end, if it has exited. */
  async assertRunning(): Promise<void> {
    if (this.#exitStatus === undefined) return;
    await this.#logged;
    throw new Error(
      `The ${this.name} exited with code ${this.#exitStatus.code}:\n${await this.logTail()}`,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited and its log is written. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exitStatus === undefined) {
      this.#signal("SIGTERM");
      const timer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
      await this.#child.status;
      clearTimeout(timer);
    }
    await this.#logged;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Exited meanwhile.
    }
  }

  async #waitForPort(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.assertRunning();
      try {
        const connection = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        connection.close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(
      `The ${this.name} is not listening on 127.0.0.1:${this.port} after ` +
        `${timeoutMs / 1000} s:\n${await this.logTail()}`,
    );
  }
}
