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
