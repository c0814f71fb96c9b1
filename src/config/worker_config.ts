/**
 * The worker's config file (`/etc/jobd.conf`, README.md "Configuration") as a typed,
 * validated {@linkcode WorkerConfig}.
 *
 * @module
 */

import {
  DEFAULT_JOB_POLICY,
  type JobPolicy,
  readJobPolicy,
  readTargetPolicies,
  TARGET_SECTION_PREFIX,
} from "./job_policy.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log_levels.ts";
import {
  DEFAULT_ALWAYS_ALLOW_LOCALHOST,
  DEFAULT_LOG_FORMAT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MASTER_RECONNECT_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_OUTPUT_BUFFER,
  DEFAULT_MYSQL_FETCH_LIMIT,
  DEFAULT_MYSQL_TABLE,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_RECOVER_RUNNING,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_STORAGE,
  defaultWorkerName,
} from "./defaults.ts";
import {
  booleanType,
  type ConfigEntries,
  ConfigError,
  type ConfigSection,
  type IniDocument,
  integerType,
  oneOfType,
  parseIni,
  portType,
  readConfigFile,
  stringType,
  type ValueType,
} from "./ini_file.ts";
import { readTargets } from "./targets_section.ts";
import { commentAt, iniLines, isQuoted, isValueless } from "./ini_lines.ts";
import { HTTP_RESTART_ONLY_SETTINGS, type HttpConfig, readHttpConfig } from "./http_config.ts";
import { checkLogFileDirectory } from "./log_file.ts";
import { checkSecretFileMode } from "./file_mode.ts";
import { timerSecondsType } from "./timer_limit.ts";
import { MAX_WORKER_NAME_LENGTH } from "../protocol/limits.ts";
import { workerNameProblem } from "../worker_names.ts";

/** The storages the worker can keep its jobs table in (`storage`). */
export const STORAGE_KINDS = ["mysql", "sqlite"] as const;

/** What start-up recovery does with a job left `running` (`recover_running`). */
export const RECOVER_RUNNING_MODES = ["fail", "requeue"] as const;

/** One of {@linkcode RECOVER_RUNNING_MODES}. */
export type RecoverRunning = typeof RECOVER_RUNNING_MODES[number];

/** The jobs table in MySQL or MariaDB (`storage = mysql`). */
export interface MysqlStorageConfig {
  readonly kind: "mysql";
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** May be empty. */
  readonly password: string;
  readonly database: string;
  readonly table: string;
}

/** The jobs table in an SQLite file (`storage = sqlite`). */
export interface SqliteStorageConfig {
  readonly kind: "sqlite";
  readonly path: string;
  readonly table: string;
}

/** Where the jobs table lives. */
export type StorageConfig = MysqlStorageConfig | SqliteStorageConfig;

/** The worker's settings, validated, defaults applied. Durations are in seconds. */
export interface WorkerConfig extends HttpConfig {
  /** `host`: address to listen on. */
  readonly host: string;
  /** `port`: port to listen on. */
  readonly port: number;
  /** `password` clients must send; `undefined` when empty or absent (no password). */
  readonly password: string | undefined;
  /** `always_allow_localhost`: loopback peers need no password. */
  readonly alwaysAllowLocalhost: boolean;
  /** `max_connections`: most connections open at once, ≥ 1. */
  readonly maxConnections: number;
  /** `name`: how the master lists this worker; the host name by default. */
  readonly name: string;
  /** `master_host`: the master to register with, if any (always with `masterPort`). */
  readonly masterHost?: string;
  /** `master_port` (always with `masterHost`). */
  readonly masterPort?: number;
  /** `master_reconnect_timeout`: seconds between attempts to reach the master, ≥ 0.05. */
  readonly masterReconnectTimeout: number;
  /** `log_file`: file to append the log to, if any. */
  readonly logFile?: string;
  /** `log_level_file`. */
  readonly logLevelFile: LogLevel;
  /** `log_level_console`. */
  readonly logLevelConsole: LogLevel;
  /** `log_format`: `text`, or `json` (one JSON object per line), for the console and the file. */
  readonly logFormat: LogFormat;
  /** `storage` and its settings (`mysql_*` or `sqlite_path`, and `mysql_table`). */
  readonly storage: StorageConfig;
  /** `mysql_fetch_limit`: most rows one claim takes, ≥ 1 (for either storage). */
  readonly fetchLimit: number;
  /** `launcher`: the command template, `{id}` standing for the job id (parsed by the launcher). */
  readonly launcher: string;
  /** `launcher.cwd`: directory the launcher runs in; the worker's own when absent. */
  readonly launcherCwd?: string;
  /** `launcher.env.NAME = value` lines: variables added to the launcher's environment. */
  readonly launcherEnv: Readonly<Record<string, string>>;
  /** `max_output_buffer`: bytes of stdout and of stderr kept per job, ≥ 1. */
  readonly maxOutputBuffer: number;
  /** `[targets]`: target name → concurrency (≥ 1), in file order. */
  readonly targets: ReadonlyMap<string, number>;
  /**
   * `poll_interval`: seconds between the worker's own polls, ≥ 0.05; 0 = none, not
   * even at start-up (`delayed` rows are still counted then, and woken for).
   */
  readonly pollInterval: number;
  /** `shutdown_timeout`: seconds running jobs get after SIGTERM before they are killed, ≥ 0. */
  readonly shutdownTimeout: number;
  /** `recover_running`: what start-up recovery does with a job left `running`. */
  readonly recoverRunning: RecoverRunning;
  /** The top-level `timeout`, `timeout_grace`, `max_attempts`, `retry_*` keys (config/job_policy.ts). */
  readonly jobPolicy: JobPolicy;
  /** `[target:NAME]` sections: each target's policy, the top level's keys with the section's over them. */
  readonly targetPolicies: ReadonlyMap<string, JobPolicy>;
  /** `schedules`: the job board file (src/schedule/board.ts), if any. */
  readonly schedules?: string;
  /** The config file these settings were read from (named in messages about `schedules`). */
  readonly configFile: string;
}

/**
 * Settings a config reload (SIGHUP) cannot change: they take effect only on
 * restart. `storage` covers every database setting.
 */
export const WORKER_RESTART_ONLY_SETTINGS = [
  "host",
  "port",
  "name",
  "storage",
  "maxConnections",
  ...HTTP_RESTART_ONLY_SETTINGS,
] as const satisfies readonly (keyof WorkerConfig)[];

/** A loaded config and the warnings (unknown or ignored keys) to show the user. */
export interface LoadedWorkerConfig {
  config: WorkerConfig;
  warnings: string[];
  /** The settings as written, to tell what a reload (SIGHUP) changed. */
  entries: ConfigEntries;
}

/** Options of {@linkcode parseWorkerConfig}. */
export interface ParseWorkerConfigOptions {
  /** The worker name when the file has no `name`; the host name when not given. */
  defaultName?: string;
}

const LAUNCHER_ENV_PREFIX = "launcher.env.";

const MYSQL_KEYS = [
  "mysql_host",
  "mysql_port",
  "mysql_user",
  "mysql_password",
  "mysql_database",
] as const;

/** Letters, digits, `_` and `$`: a table name that is safe to quote in SQL. */
const tableNameType: ValueType<string> = {
  describe: "a table name (letters, digits, '_' and '$', at most 64)",
  parse(value) {
    return typeof value === "string" && /^[A-Za-z0-9_$]{1,64}$/.test(value) ? value : undefined;
  },
};

/**
 * `master_reconnect_timeout`: the pause between attempts and the ping period,
 * within a quarter either way, and the worker waits twice it for the
 * master's answers: half the longest timer.
 */
const reconnectSecondsType = timerSecondsType({
  allowZero: false,
  period: true,
  factor: 2,
  why: "half the longest a timer waits: the worker waits twice this long for the master's answers",
});

/** `name`: what the master takes in `register-worker` (src/worker_names.ts). */
const workerNameType: ValueType<string> = {
  describe: `a non-empty string of at most ${MAX_WORKER_NAME_LENGTH} characters, ` +
    "without control or invisible characters",
  parse(value) {
    const text = stringType().parse(value);
    return text !== undefined && workerNameProblem(text) === undefined ? text : undefined;
  },
  hint(value) {
    const text = stringType().parse(value);
    return text === undefined ? undefined : workerNameProblem(text);
  },
};

/**
 * Parses the text of a worker config file. `path` names the file in errors
 * ({@linkcode ConfigError}) and warnings. Touches nothing outside, except the
 * host name when `name` is absent and no `defaultName` is given.
 */
export function parseWorkerConfig(
  text: string,
  path: string,
  options: ParseWorkerConfigOptions = {},
): LoadedWorkerConfig {
  const doc = parseIni(text, path);
  const ini = doc.global;
  const logLevel = oneOfType(LOG_LEVELS);
  const nonEmpty = stringType();
  const jobPolicy = readJobPolicy(ini, DEFAULT_JOB_POLICY);

  const host = ini.required("host", nonEmpty);
  const port = ini.required("port", portType);
  const config: WorkerConfig = {
    host,
    port,
    password: ini.optional("password", nonEmpty),
    alwaysAllowLocalhost: ini.withDefault(
      "always_allow_localhost",
      booleanType,
      DEFAULT_ALWAYS_ALLOW_LOCALHOST,
    ),
    maxConnections: ini.withDefault(
      "max_connections",
      integerType({ min: 1 }),
      DEFAULT_MAX_CONNECTIONS,
    ),
    name: ini.optional("name", workerNameType) ?? options.defaultName ?? defaultWorkerName(),
    masterHost: ini.optional("master_host", nonEmpty),
    masterPort: ini.optional("master_port", portType),
    masterReconnectTimeout: ini.withDefault(
      "master_reconnect_timeout",
      reconnectSecondsType,
      DEFAULT_MASTER_RECONNECT_TIMEOUT,
    ),
    logFile: ini.optional("log_file", nonEmpty),
    logLevelFile: ini.withDefault("log_level_file", logLevel, DEFAULT_LOG_LEVEL),
    logLevelConsole: ini.withDefault("log_level_console", logLevel, DEFAULT_LOG_LEVEL),
    logFormat: ini.withDefault("log_format", oneOfType(LOG_FORMATS), DEFAULT_LOG_FORMAT),
    storage: readStorage(ini),
    fetchLimit: ini.withDefault(
      "mysql_fetch_limit",
      integerType({ min: 1 }),
      DEFAULT_MYSQL_FETCH_LIMIT,
    ),
    launcher: ini.required("launcher", nonEmpty),
    launcherCwd: ini.optional("launcher.cwd", nonEmpty),
    launcherEnv: readLauncherEnv(ini),
    maxOutputBuffer: ini.withDefault(
      "max_output_buffer",
      integerType({ min: 1 }),
      DEFAULT_MAX_OUTPUT_BUFFER,
    ),
    targets: readTargets(doc, text),
    pollInterval: ini.withDefault(
      "poll_interval",
      timerSecondsType({ allowZero: true, period: true }),
      DEFAULT_POLL_INTERVAL,
    ),
    shutdownTimeout: ini.withDefault(
      "shutdown_timeout",
      timerSecondsType({ allowZero: true }),
      DEFAULT_SHUTDOWN_TIMEOUT,
    ),
    recoverRunning: ini.withDefault(
      "recover_running",
      oneOfType(RECOVER_RUNNING_MODES),
      DEFAULT_RECOVER_RUNNING,
    ),
    jobPolicy,
    targetPolicies: readTargetPolicies(doc, jobPolicy),
    ...optionalEntry("schedules", ini.optional("schedules", nonEmpty)),
    configFile: path,
    ...readHttpConfig(ini, { host, port }),
  };
  if (config.masterHost !== undefined && config.masterPort === undefined) {
    throw ini.error("master_port", "is not defined: it is required with 'master_host'");
  }
  if (config.masterPort !== undefined && config.masterHost === undefined) {
    throw ini.error("master_host", "is not defined: it is required with 'master_port'");
  }
  if (!config.launcher.includes("{id}")) {
    ini.warn("launcher", "has no '{id}': every job runs the same command");
  }
  hintLauncherEnvSection(doc, text);
  checkLauncherNotCutInQuotes(doc, text);
  for (const target of config.targetPolicies.keys()) {
    if (config.targets.has(target)) continue;
    doc.warn(
      `[${TARGET_SECTION_PREFIX}${target}] is for a target that [targets] does not list ` +
        "(a mistyped name?): its keys apply only if the target is added (add-target)",
    );
  }
  return { config, warnings: doc.warnings(), entries: doc.entries() };
}

/** `{ key: value }`, or nothing when the value is absent (so configs without the key stay equal). */
function optionalEntry<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : { [key]: value } as { [P in K]?: V };
}

function readStorage(ini: ConfigSection): StorageConfig {
  const kind = ini.withDefault("storage", oneOfType(STORAGE_KINDS), DEFAULT_STORAGE);
  const table = ini.withDefault("mysql_table", tableNameType, DEFAULT_MYSQL_TABLE);
  if (kind === "sqlite") {
    for (const key of MYSQL_KEYS) {
      if (ini.keys().includes(key)) ini.warn(key, "is ignored with storage = sqlite");
    }
    return { kind, path: ini.required("sqlite_path", stringType()), table };
  }
  if (ini.keys().includes("sqlite_path")) {
    ini.warn("sqlite_path", "is ignored with storage = mysql");
  }
  return {
    kind,
    host: ini.required("mysql_host", stringType()),
    port: ini.required("mysql_port", portType),
    user: ini.required("mysql_user", stringType()),
    password: ini.required("mysql_password", stringType({ allowEmpty: true })),
    database: ini.required("mysql_database", stringType()),
    table,
  };
}

/** A section some write the launcher's variables in; it is not read. */
const LAUNCHER_ENV_SECTION = "launcher.env";

/**
 * A `[launcher.env]` section looks like the launcher's variables but is not
 * how they are written: its warning names its line and says how, with its
 * first key as the example (never its value, which may be a secret).
 */
function hintLauncherEnvSection(doc: IniDocument, text: string): void {
  if (!doc.sectionNames().includes(LAUNCHER_ENV_SECTION)) return;
  const lines = [...iniLines(text)];
  const at = lines.findIndex((line) =>
    line.kind === "section" &&
    (isQuoted(line.name) ? line.name.slice(1, -1) : line.name) === LAUNCHER_ENV_SECTION
  );
  const first = lines[at + 1];
  const example = at !== -1 && first?.kind === "key" && !isValueless(first.value)
    ? ` ('${LAUNCHER_ENV_PREFIX}${first.key} = ...' for its '${first.key}')`
    : "";
  doc.hintUnknownSection(
    LAUNCHER_ENV_SECTION,
    `write its variables as '${LAUNCHER_ENV_PREFIX}NAME = value' keys before the first ` +
      `section${example}`,
    at === -1 ? undefined : lines[at].number,
  );
}

/**
 * A `;` or `#` inside a quoted argument of `launcher` (`sh -c "a; b"`) ends
 * the value for ini, which reads the rest as a comment: the template left
 * has an unclosed quote. Refused here, naming the line and the fix, rather
 * than as the unclosed quote the launcher's parser would report.
 */
function checkLauncherNotCutInQuotes(doc: IniDocument, text: string): void {
  let section: string | undefined;
  for (const line of iniLines(text)) {
    if (line.kind === "section") section = line.name;
    if (section !== undefined || line.kind !== "key" || line.key !== "launcher") continue;
    const value = line.value ?? "";
    const cut = commentAt(value);
    if (cut === -1 || openQuoteAt(value.slice(0, cut)) === undefined) continue;
    throw new ConfigError(
      doc.file,
      `'launcher' (line ${line.number}) is cut at the '${value[cut]}' inside its quotes: ` +
        `ini reads '${value.slice(cut)}' as a comment; write '\\${value[cut]}' for the character`,
      { key: "launcher" },
    );
  }
}

/** The quote character still open at the end of `text` (shell quoting), if any. */
function openQuoteAt(text: string): string | undefined {
  let open: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (open === undefined) {
      if (char === "\\") i++;
      else if (char === "'" || char === '"') open = char;
    } else if (open === '"' && char === "\\") i++;
    else if (char === open) open = undefined;
  }
  return open;
}

function readLauncherEnv(ini: ConfigSection): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ini.keys()) {
    if (!key.startsWith(LAUNCHER_ENV_PREFIX)) continue;
    const name = key.slice(LAUNCHER_ENV_PREFIX.length);
    if (name === "") throw ini.error(key, "names no variable: write 'launcher.env.NAME = value'");
    env[name] = ini.required(key, stringType({ allowEmpty: true }));
  }
  return env;
}

/** The example a missing worker config file's error points to. */
export const WORKER_CONFIG_EXAMPLE = "examples/jobd.conf.example";

/**
 * Reads and parses the worker config file at `path`. Beyond
 * {@linkcode parseWorkerConfig}, checks that `launcher.cwd` is a directory,
 * and warns when the file holds a password every user can read.
 */
export async function loadWorkerConfig(
  path: string,
  options: ParseWorkerConfigOptions = {},
): Promise<LoadedWorkerConfig> {
  const text = await readConfigFile(path, undefined, WORKER_CONFIG_EXAMPLE);
  const loaded = parseWorkerConfig(text, path, options);
  await checkLogFileDirectory(path, loaded.config.logFile);
  const { password, storage } = loaded.config;
  const readable = await checkSecretFileMode(path, [
    password !== undefined && "password",
    storage.kind === "mysql" && storage.password !== "" && "mysql_password",
  ]);
  if (readable !== undefined) loaded.warnings.push(readable);
  const cwd = loaded.config.launcherCwd;
  if (cwd !== undefined) {
    let isDirectory = false;
    try {
      isDirectory = (await Deno.stat(cwd)).isDirectory;
    } catch {
      // Missing or unreadable: reported below like a file.
    }
    if (!isDirectory) {
      throw new ConfigError(path, `'launcher.cwd' is not a directory: '${cwd}'`, {
        key: "launcher.cwd",
      });
    }
  }
  return loaded;
}
