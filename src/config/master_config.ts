/**
 * The master's config file (`/etc/jobd-master.conf`, README.md "jobd-master") as a typed,
 * validated {@linkcode MasterConfig}.
 *
 * @module
 */

import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log_levels.ts";
import {
  DEFAULT_ALWAYS_ALLOW_LOCALHOST,
  DEFAULT_LOG_FORMAT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_PING_INTERVAL,
  DEFAULT_POKE_THROTTLE_INTERVAL,
  DEFAULT_REQUEST_TIMEOUT,
} from "./defaults.ts";
import {
  booleanType,
  type ConfigEntries,
  integerType,
  oneOfType,
  parseIni,
  portType,
  readConfigFile,
  stringType,
} from "./ini_file.ts";
import { HTTP_RESTART_ONLY_SETTINGS, type HttpConfig, readHttpConfig } from "./http_config.ts";
import { checkLogFileDirectory } from "./log_file.ts";
import { checkSecretFileMode } from "./file_mode.ts";
import { timerSecondsType } from "./timer_limit.ts";

/** The master's settings, validated, defaults applied. Durations are in seconds. */
export interface MasterConfig extends HttpConfig {
  /** `host`: address to listen on. */
  readonly host: string;
  /** `port`: port to listen on. */
  readonly port: number;
  /** `password` clients and workers must send; `undefined` when empty or absent. */
  readonly password: string | undefined;
  /** `always_allow_localhost`: loopback peers need no password. */
  readonly alwaysAllowLocalhost: boolean;
  /** `ping_interval`: seconds between pings to each registered worker, ≥ 0.05. */
  readonly pingInterval: number;
  /** `poke_throttle_interval`: seconds pokes are gathered before polls go out, ≥ 0. */
  readonly pokeThrottleInterval: number;
  /** `max_connections`: most connections (clients and workers) open at once, ≥ 1. */
  readonly maxConnections: number;
  /** `request_timeout`: seconds to wait for a worker's answer to a forwarded request, > 0. */
  readonly requestTimeout: number;
  /** `log_file`: file to append the log to, if any. */
  readonly logFile?: string;
  /** `log_level_file`. */
  readonly logLevelFile: LogLevel;
  /** `log_level_console`. */
  readonly logLevelConsole: LogLevel;
  /** `log_format`: `text`, or `json` (one JSON object per line), for the console and the file. */
  readonly logFormat: LogFormat;
}

/** Settings a config reload (SIGHUP) cannot change: they take effect only on restart. */
export const MASTER_RESTART_ONLY_SETTINGS = [
  "host",
  "port",
  "maxConnections",
  ...HTTP_RESTART_ONLY_SETTINGS,
] as const satisfies readonly (keyof MasterConfig)[];

/** A loaded config and the warnings (unknown keys) to show the user. */
export interface LoadedMasterConfig {
  config: MasterConfig;
  warnings: string[];
  /** The settings as written, to tell what a reload (SIGHUP) changed. */
  entries: ConfigEntries;
}

/**
 * Parses the text of a master config file. `path` names the file in errors
 * ({@linkcode ConfigError}) and warnings.
 */
export function parseMasterConfig(text: string, path: string): LoadedMasterConfig {
  const doc = parseIni(text, path);
  const ini = doc.global;
  const logLevel = oneOfType(LOG_LEVELS);
  const host = ini.required("host", stringType());
  const port = ini.required("port", portType);
  const config: MasterConfig = {
    host,
    port,
    password: ini.optional("password", stringType()),
    alwaysAllowLocalhost: ini.withDefault(
      "always_allow_localhost",
      booleanType,
      DEFAULT_ALWAYS_ALLOW_LOCALHOST,
    ),
    pingInterval: ini.withDefault(
      "ping_interval",
      timerSecondsType({ allowZero: false, period: true }),
      DEFAULT_PING_INTERVAL,
    ),
    pokeThrottleInterval: ini.withDefault(
      "poke_throttle_interval",
      timerSecondsType({ allowZero: true }),
      DEFAULT_POKE_THROTTLE_INTERVAL,
    ),
    maxConnections: ini.withDefault(
      "max_connections",
      integerType({ min: 1 }),
      DEFAULT_MAX_CONNECTIONS,
    ),
    requestTimeout: ini.withDefault(
      "request_timeout",
      timerSecondsType({ allowZero: false }),
      DEFAULT_REQUEST_TIMEOUT,
    ),
    logFile: ini.optional("log_file", stringType()),
    logLevelFile: ini.withDefault("log_level_file", logLevel, DEFAULT_LOG_LEVEL),
    logLevelConsole: ini.withDefault("log_level_console", logLevel, DEFAULT_LOG_LEVEL),
    ...readHttpConfig(ini, { host, port }),
    logFormat: ini.withDefault("log_format", oneOfType(LOG_FORMATS), DEFAULT_LOG_FORMAT),
  };
  return { config, warnings: doc.warnings(), entries: doc.entries() };
}

/** The example a missing master config file's error points to. */
export const MASTER_CONFIG_EXAMPLE = "examples/jobd-master.conf.example";

/** Reads and parses the master config file at `path`; warns when its password is readable by all. */
export async function loadMasterConfig(path: string): Promise<LoadedMasterConfig> {
  const text = await readConfigFile(path, undefined, MASTER_CONFIG_EXAMPLE);
  const loaded = parseMasterConfig(text, path);
  await checkLogFileDirectory(path, loaded.config.logFile);
  const readable = await checkSecretFileMode(path, [
    loaded.config.password !== undefined && "password",
  ]);
  if (readable !== undefined) loaded.warnings.push(readable);
  return loaded;
}
