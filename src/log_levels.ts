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
