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
import { Daemon, type DaemonOptions } from "../scripts/daemon_process.ts";

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

/** A daemon started for the benchmark: a {@linkcode Daemon} listening on `port`. */
export class BenchDaemon extends Daemon {
  readonly port: number;

  private constructor(name: string, port: number, argv: string[], options: DaemonOptions) {
    const [program, ...args] = argv;
    super(name, program, { ...options, args });
    this.port = port;
  }

  /**
   * Writes `config` to `DIR/NAME.conf`, starts the command made from
   * `template` (its output to `DIR/NAME.log`) and resolves once `port` on
   * 127.0.0.1 accepts connections. Throws with the log's end when the
   * program exits first or is not listening within 30 s.
   */
  static async start(
    name: string,
    options: { template: string; config: string; dir: string; port: number },
  ): Promise<BenchDaemon> {
    const configPath = `${options.dir}/${name}.conf`;
    await Deno.writeTextFile(configPath, options.config);
    const daemon = new BenchDaemon(
      name,
      options.port,
      templateArgv(options.template, { config: configPath }),
      { cwd: options.dir, logPath: `${options.dir}/${name}.log` },
    );
    try {
      await daemon.waitForPort(options.port);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }
}
