/**
 * The log levels of our config files and `--log-level`: a leaf that the
 * config loaders and the logging setup both use, so neither imports the other.
 *
 * @module
 */

/** The log levels of our config files and `--log-level`, least severe first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/**
 * The level of a sink whose level is not configured: `warn`. Quoted by
 * config/defaults.ts as the default of `log_level_file`, `log_level_console`
 * and jobctl's `log_level`.
 */
export const DEFAULT_LOG_LEVEL: LogLevel = "warn";

/** The line formats of the daemons' `log_format` key: plain text, or one JSON object per line. */
export const LOG_FORMATS = ["text", "json"] as const;

/** One of {@linkcode LOG_FORMATS}. */
export type LogFormat = typeof LOG_FORMATS[number];

/** `log_format` when not configured: `text`. */
export const DEFAULT_LOG_FORMAT: LogFormat = "text";
