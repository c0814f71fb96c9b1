/**
 * The `log_file` key of both daemons, checked when the config is loaded: a
 * log file in a directory that does not exist names the key, the log file
 * and the config file, instead of failing later as an error of the logger.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { ConfigError } from "./ini_file.ts";

/**
 * Throws a {@linkcode ConfigError} for the config file `configPath` when
 * the directory of `logFile` does not exist or is not a directory. The file
 * itself may be missing: it is created when opened.
 */
export async function checkLogFileDirectory(
  configPath: string,
  logFile: string | undefined,
): Promise<void> {
  if (logFile === undefined) return;
  const directory = dirname(resolve(logFile));
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(directory);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return; // Left to the logger to report.
  }
  if (info?.isDirectory) return;
  throw new ConfigError(
    configPath,
    `'log_file' = '${logFile}': the directory '${directory}' ${
      info === undefined ? "does not exist" : "is not a directory"
    }`,
    { key: "log_file" },
  );
}
