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
  compareLogLevel,
  type Config,
  configure,
  getConfig,
  getLogger,
  type Logger,
  type LogLevel as LogTapeLevel,
  type LogRecord,
  reset,
  type Sink,
  type TextFormatter,
  withFilter,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import { isNotice, lineFormatter, NOTICE_CATEGORY } from "./log_format.ts";
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogFormat, type LogLevel } from "./log_levels.ts";
import { lineRedactor, REDACTED, SECRET_FIELDS } from "./log_redaction.ts";
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

/**
 * A logger of notices: its `info` lines are written at every level but
 * `error` (the default level `warn` included), as `NTC` / `NOTICE`, and
 * `<5>` in the journal (log_format.ts). For the few lines an operator should
 * see at start-up, such as the daemon's summary.
 */
export function noticeLogger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, NOTICE_CATEGORY, ...category]);
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
  /** `text` (the default) or `json`: one JSON object per line, on both sinks. */
  format?: LogFormat;
  /**
   * The console is systemd's journal (`JOURNAL_STREAM` set): its lines begin
   * with the syslog priority and carry no timestamp. The file's lines do not change.
   */
  journal?: boolean;
}

function redactedFormatter(
  secrets: readonly (string | undefined)[],
  format: LogFormat,
  journal: boolean,
): TextFormatter {
  const formatter = lineFormatter({ format, journal });
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

/** A sink's level filter: records at `level` or above, and notices unless only errors are wanted. */
function levelFilter(sink: Sink, level: LogLevel): Sink {
  const lowest = LOGTAPE_LEVELS[level];
  const notices = level !== "error";
  return withFilter(
    sink,
    (record: LogRecord) =>
      compareLogLevel(record.level, lowest) >= 0 || (notices && isNotice(record)),
  );
}

type SinkId = "console" | "file";

/**
 * The mode of a log file jobd creates (the umask may take more away): the
 * owner writes, the owner and the group read. Log lines may quote job output
 * and request data, which are not for every user of the host. A file that
 * exists keeps the mode it has.
 */
export const LOG_FILE_MODE = 0o640;

/** Creates the log file at `path` with {@linkcode LOG_FILE_MODE} when there is none. */
function createLogFile(path: string): void {
  Deno.openSync(path, { create: true, append: true, mode: LOG_FILE_MODE }).close();
}

/**
 * Builds a LogTape configuration; opens the log file, so it throws when it
 * cannot. The file sink's module is loaded only when a file is configured:
 * most daemons log to stderr alone and need not hold its code in memory.
 */
async function buildConfig(options: LoggingOptions): Promise<Config<SinkId, never>> {
  const format = options.format ?? "text";
  const formatter = redactedFormatter(options.secrets ?? [], format, false);
  const consoleFormatter = options.journal
    ? redactedFormatter(options.secrets ?? [], format, true)
    : formatter;
  const sinks: Partial<Record<SinkId, Sink>> = {
    console: levelFilter(redactedSink(stderrSink(consoleFormatter)), options.consoleLevel),
  };
  let lowest = options.consoleLevel;
  if (options.filePath !== undefined) {
    const fileLevel = options.fileLevel ?? DEFAULT_LOG_LEVEL;
    const { getFileSink } = await import("@logtape/file");
    let fileSink: Sink;
    try {
      createLogFile(options.filePath);
      // bufferSize 0: every line reaches the file at once, so a crash loses none.
      fileSink = getFileSink(options.filePath, { formatter, bufferSize: 0 });
    } catch (error) {
      const reason = messageOf(error);
      throw new Error(`Cannot open the log file '${options.filePath}': ${reason}`, {
        cause: error,
      });
    }
    sinks.file = levelFilter(redactedSink(fileSink), fileLevel);
    lowest = lessSevere(lowest, fileLevel);
  }
  const sinkIds = Object.keys(sinks) as SinkId[];
  return {
    reset: true,
    sinks: sinks as Record<SinkId, Sink>,
    loggers: [
      { category: [LOG_CATEGORY], sinks: sinkIds, lowestLevel: LOGTAPE_LEVELS[lowest] },
      // Notices pass the sinks' filters at every level but error (levelFilter).
      {
        category: [LOG_CATEGORY, NOTICE_CATEGORY],
        sinks: sinkIds,
        parentSinks: "override",
        lowestLevel: LOGTAPE_LEVELS[lessSevere(lowest, "info")],
      },
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
