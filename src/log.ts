/**
 * Logging for the three programs, on LogTape: a console sink that writes to
 * stderr (so jobctl's stdout carries only its output), an optional file sink,
 * one level for each, and secret redaction in front of both.
 *
 * Our loggers live under the category `["jobd", ...]`; get one with
 * {@linkcode jobdLogger}. LogTape's configuration is process-wide by nature:
 * the entry point calls {@linkcode configureLogging} once, keeps the returned
 * {@linkcode Logging}, reconfigures it on SIGHUP and disposes it on exit.
 *
 * Redaction (src/log_redaction.ts) stands in front of both sinks, so that no
 * password reaches a log line at any level: secret-looking properties are
 * replaced before formatting, every value is cut to a bounded length, and
 * the formatted line is scrubbed of known secrets and `password=…` text, in
 * time linear in the line's length.
 *
 * @module
 */

import {
  type Config,
  configure,
  getConfig,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel as LogTapeLevel,
  reset,
  sanitizeControlSequences,
  type Sink,
  type TextFormatter,
  withFilter,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel } from "./log_levels.ts";
import { cutForLog, lineRedactor, REDACTED, SECRET_FIELDS } from "./log_redaction.ts";
import { messageOf } from "./text.ts";

export { LOG_LEVELS, type LogLevel, REDACTED };

/** The root of every logger category of ours. */
export const LOG_CATEGORY = "jobd";

const LOGTAPE_LEVELS: Record<LogLevel, LogTapeLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

/**
 * A logger of ours: `jobdLogger("worker", "launcher")` logs under
 * `jobd·worker·launcher`. Loggers are cheap and stateless; what they write
 * and where follows the current {@linkcode Logging}.
 */
export function jobdLogger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, ...category]);
}

/** Where log lines go and how much of them. */
export interface LoggingOptions {
  /** Least severe level written to stderr. */
  consoleLevel: LogLevel;
  /** Least severe level written to `filePath`; `warn` when not given. */
  fileLevel?: LogLevel;
  /** File the log is appended to; no file log when not given. */
  filePath?: string;
  /**
   * Secret values (the passwords from the config) to mask wherever they
   * appear in a line. Empty and missing values are skipped. A very short
   * secret masks every occurrence of its text, in any word.
   */
  secrets?: readonly (string | undefined)[];
}

/**
 * How a value appears in a line: strings as they are (control characters and
 * line breaks escaped, so a value cannot fake a record), anything else
 * inspected on one line; either cut to `MAX_LOGGED_VALUE_CHARS` with a marker.
 */
function renderValue(value: unknown): string {
  if (typeof value === "string") {
    return sanitizeControlSequences(cutForLog(value), { sgr: "escape", newlines: "escape" });
  }
  return cutForLog(Deno.inspect(value, { compact: true, breakLength: Infinity, colors: false }));
}

function redactedFormatter(secrets: readonly (string | undefined)[]): TextFormatter {
  const formatter = getTextFormatter({ timestamp: "date-time-timezone", value: renderValue });
  const redact = lineRedactor(secrets);
  return (record) => redact(formatter(record));
}

function redactedSink(sink: Sink): Sink {
  return redactByField(sink, {
    fieldPatterns: [...SECRET_FIELDS],
    action: () => REDACTED,
  });
}

/** A sink that writes whole lines to stderr, synchronously. */
function stderrSink(formatter: TextFormatter): Sink {
  const encoder = new TextEncoder();
  return (record) => {
    let bytes = encoder.encode(formatter(record));
    try {
      while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
    } catch {
      // stderr is gone (closed pipe): there is nowhere left to report to.
    }
  };
}

function lessSevere(a: LogLevel, b: LogLevel): LogLevel {
  return LOG_LEVELS.indexOf(a) <= LOG_LEVELS.indexOf(b) ? a : b;
}

type SinkId = "console" | "file";

/**
 * Builds a LogTape configuration; opens the log file, so it throws when it
 * cannot. The file sink's module is loaded only when a file is configured:
 * most daemons log to stderr alone and need not hold its code in memory.
 */
async function buildConfig(options: LoggingOptions): Promise<Config<SinkId, never>> {
  const formatter = redactedFormatter(options.secrets ?? []);
  const sinks: Partial<Record<SinkId, Sink>> = {
    console: withFilter(redactedSink(stderrSink(formatter)), LOGTAPE_LEVELS[options.consoleLevel]),
  };
  let lowest = options.consoleLevel;
  if (options.filePath !== undefined) {
    const fileLevel = options.fileLevel ?? DEFAULT_LOG_LEVEL;
    const { getFileSink } = await import("@logtape/file");
    let fileSink: Sink;
    try {
      // bufferSize 0: every line reaches the file at once, so a crash loses none.
      fileSink = getFileSink(options.filePath, { formatter, bufferSize: 0 });
    } catch (error) {
      const reason = messageOf(error);
      throw new Error(`Cannot open the log file '${options.filePath}': ${reason}`, {
        cause: error,
      });
    }
    sinks.file = withFilter(redactedSink(fileSink), LOGTAPE_LEVELS[fileLevel]);
    lowest = lessSevere(lowest, fileLevel);
  }
  const sinkIds = Object.keys(sinks) as SinkId[];
  return {
    reset: true,
    sinks: sinks as Record<SinkId, Sink>,
    loggers: [
      { category: [LOG_CATEGORY], sinks: sinkIds, lowestLevel: LOGTAPE_LEVELS[lowest] },
      // LogTape's own diagnostics (a failing sink, say), without its start-up notice.
      { category: ["logtape", "meta"], sinks: sinkIds, lowestLevel: "warning" },
    ],
  };
}

/**
 * The logging of one program: created by {@linkcode configureLogging},
 * changed by {@linkcode Logging.reconfigure}, ended by
 * {@linkcode Logging.dispose} (which flushes and closes the log file).
 */
export class Logging implements AsyncDisposable {
  #options: LoggingOptions;
  #config: Config<SinkId, never> | undefined;
  #pending: Promise<void> = Promise.resolve();

  private constructor(options: LoggingOptions) {
    this.#options = options;
  }

  /** Use {@linkcode configureLogging}. */
  static async create(options: LoggingOptions): Promise<Logging> {
    const logging = new Logging(options);
    await logging.reconfigure(options);
    return logging;
  }

  /** The options in effect. */
  get options(): Readonly<LoggingOptions> {
    return this.#options;
  }

  /** Whether this is still the active configuration (not disposed, not replaced). */
  get active(): boolean {
    return this.#config !== undefined && getConfig() === this.#config;
  }

  /**
   * Applies new levels, file or secrets (on SIGHUP, say). The old file is
   * closed and the new one opened, which also suits log rotation. When the
   * new file cannot be opened this throws and the old setup stays.
   */
  reconfigure(options: LoggingOptions): Promise<void> {
    return this.#serially(async () => {
      const config = await buildConfig(options);
      try {
        await configure(config);
      } catch (error) {
        for (const sink of Object.values(config.sinks)) {
          (sink as Partial<Disposable>)[Symbol.dispose]?.();
        }
        throw error;
      }
      this.#config = config;
      this.#options = options;
    });
  }

  /**
   * Flushes and closes the sinks and clears LogTape's configuration, unless
   * someone configured LogTape anew since. Safe to call twice.
   */
  dispose(): Promise<void> {
    return this.#serially(async () => {
      if (this.#config !== undefined && getConfig() === this.#config) await reset();
      this.#config = undefined;
    });
  }

  /** Same as {@linkcode Logging.dispose}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /** LogTape refuses overlapping (re)configurations, so ours run one after another. */
  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#pending.then(step);
    this.#pending = next.catch(() => {});
    return next;
  }
}

/**
 * Sets up logging for this process, replacing any earlier LogTape setup,
 * and returns the handle to change or end it.
 */
export function configureLogging(options: LoggingOptions): Promise<Logging> {
  return Logging.create(options);
}
