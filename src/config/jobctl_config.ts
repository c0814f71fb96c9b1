/**
 * jobctl's config file (`~/.jobctl.conf`, README.md "jobctl"): optional defaults for its
 * command-line options. Every key is optional, and so is the file itself at
 * its default place.
 *
 * @module
 */

import { LOG_LEVELS, type LogLevel } from "../log_levels.ts";
import { JOBCTL_CONFIG_FILE_NAME } from "./defaults.ts";
import {
  booleanType,
  ConfigError,
  oneOfType,
  parseIni,
  portType,
  readConfigFile,
  stringType,
} from "./ini_file.ts";
import { checkSecretFileMode } from "./file_mode.ts";

/** What `~/.jobctl.conf` sets; absent keys are `undefined` (jobctl applies its defaults). */
export interface JobctlConfig {
  /** `master`: talk to the master rather than a worker. */
  readonly master?: boolean;
  /** `host` to connect to. */
  readonly host?: string;
  /** `port` to connect to. */
  readonly port?: number;
  /** `password` to send; empty is the same as absent. */
  readonly password?: string;
  /** `log_level` of jobctl's own messages (on stderr). */
  readonly logLevel?: LogLevel;
}

/** A loaded config and the warnings (unknown keys) to show the user. */
export interface LoadedJobctlConfig {
  config: JobctlConfig;
  warnings: string[];
}

/**
 * Where jobctl looks for its config when `--config` is not given:
 * `$HOME/.jobctl.conf`, or `undefined` when HOME is not set.
 */
export function defaultJobctlConfigPath(
  home: string | undefined = Deno.env.get("HOME"),
): string | undefined {
  if (!home) return undefined;
  return `${home.replace(/\/+$/, "")}/${JOBCTL_CONFIG_FILE_NAME}`;
}

/**
 * Parses the text of a jobctl config file. `path` names the file in errors
 * ({@linkcode ConfigError}) and warnings.
 */
export function parseJobctlConfig(text: string, path: string): LoadedJobctlConfig {
  const doc = parseIni(text, path);
  const ini = doc.global;
  const config: JobctlConfig = {
    master: ini.optional("master", booleanType),
    host: ini.optional("host", stringType()),
    port: ini.optional("port", portType),
    password: ini.optional("password", stringType()),
    logLevel: ini.optional("log_level", oneOfType(LOG_LEVELS)),
  };
  return { config, warnings: doc.warnings() };
}

/** Options of {@linkcode loadJobctlConfig}. */
export interface LoadJobctlConfigOptions {
  /** The file named by `--config`, which must exist. */
  path?: string;
  /** Home directory for the default path; `$HOME` when not given. */
  home?: string;
}

/**
 * Loads jobctl's config. With `path` (from `--config`) the file must exist;
 * without one, `~/.jobctl.conf` is read when it exists and an empty config
 * is returned when it does not. Any other read or parse failure is a
 * {@linkcode ConfigError}. A password every user can read is a warning.
 */
export async function loadJobctlConfig(
  options: LoadJobctlConfigOptions = {},
): Promise<LoadedJobctlConfig> {
  const explicit = options.path !== undefined;
  const file = options.path ?? defaultJobctlConfigPath(options.home ?? Deno.env.get("HOME"));
  if (file === undefined) return { config: {}, warnings: [] };
  let text: string;
  try {
    text = await readConfigFile(file);
  } catch (error) {
    const missing = error instanceof ConfigError && error.cause instanceof Deno.errors.NotFound;
    if (missing && !explicit) return { config: {}, warnings: [] };
    throw error;
  }
  const loaded = parseJobctlConfig(text, file);
  const readable = await checkSecretFileMode(file, [
    loaded.config.password !== undefined && "password",
  ]);
  if (readable !== undefined) loaded.warnings.push(readable);
  return loaded;
}
