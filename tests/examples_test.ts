/**
 * What ships beside the code: the example config files load cleanly through
 * the real loaders and document every key with its true default, as
 * README.md's key tables do; the systemd units and the supervisor snippet
 * start the binaries that scripts/compile.sh builds, with the config files
 * the examples install;
 * and, where a Deno runtime for compiling is at hand, the compiled binaries
 * themselves work.
 */

import assert from "node:assert/strict";
import { tempDir } from "./helpers/temp_dir.ts";
import { parse as parseIniText } from "ini";
import {
  DEFAULT_ALWAYS_ALLOW_LOCALHOST,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_JOBCTL_HOST,
  DEFAULT_LOG_FORMAT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MASTER_CONFIG_PATH,
  DEFAULT_MASTER_PORT,
  DEFAULT_MASTER_RECONNECT_TIMEOUT,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_OUTPUT_BUFFER,
  DEFAULT_MYSQL_FETCH_LIMIT,
  DEFAULT_MYSQL_TABLE,
  DEFAULT_PING_INTERVAL,
  DEFAULT_POKE_THROTTLE_INTERVAL,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_RECOVER_RUNNING,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY_DELAY,
  DEFAULT_RETRY_DELAY_MAX,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_STORAGE,
  DEFAULT_TIMEOUT,
  DEFAULT_TIMEOUT_GRACE,
  DEFAULT_WORKER_CONFIG_PATH,
  DEFAULT_WORKER_PORT,
  JOBCTL_CONFIG_FILE_NAME,
} from "../src/config/defaults.ts";
import { loadJobctlConfig, parseJobctlConfig } from "../src/config/jobctl_config.ts";
import {
  loadMasterConfig,
  MASTER_CONFIG_EXAMPLE,
  parseMasterConfig,
} from "../src/config/master_config.ts";
import {
  loadWorkerConfig,
  parseWorkerConfig,
  WORKER_CONFIG_EXAMPLE,
} from "../src/config/worker_config.ts";
import { parseDaemonArgs } from "../src/daemon_args.ts";
import { commandsOf } from "../src/jobctl/commands.ts";
import { masterUsage, workerUsage } from "../src/usage.ts";
import { VERSION } from "../src/version.ts";
import { BOARD_KEYS } from "../src/schedule/board.ts";
import { MYSQL_SCHEMA_FILE } from "../src/storage/mysql/inspect_table.ts";
import { SQLITE_SCHEMA_FILE } from "../src/storage/sqlite/inspect_table.ts";
import { parseCommandTemplate } from "../src/worker/command_template.ts";
import { ENTRY_POINTS, PERMISSIONS, type Program } from "../scripts/permissions.ts";
import { openTestDatabase } from "./helpers/database.ts";
import {
  decodeOutput,
  freePort,
  ProgramProcess,
  ROOT,
  runProgram,
  workerClient,
} from "./helpers/processes.ts";
import { waitForDone, workerConfig } from "./helpers/worker.ts";

const EXAMPLES = `${ROOT}examples/`;
const COMPILE_SCRIPT = `${ROOT}scripts/compile.sh`;
const PROGRAMS = Object.keys(ENTRY_POINTS) as Program[];

/** Where the install instructions put the binaries. */
const INSTALL_DIR = "/usr/local/bin";

/** The user the units and the supervisor snippet run the daemons as. */
const SERVICE_USER = "jobd";

/** Each daemon's example config and the file it is installed as. */
const DAEMON_CONFIGS = {
  "jobd": { example: "jobd.conf.example", installedAs: DEFAULT_WORKER_CONFIG_PATH },
  "jobd-master": { example: "jobd-master.conf.example", installedAs: DEFAULT_MASTER_CONFIG_PATH },
} as const;

function readExample(name: string): string {
  return Deno.readTextFileSync(`${EXAMPLES}${name}`);
}

// ---------------------------------------------------------------- config files

/** A `key = value` line of an example, set or commented out, and the comment above it. */
interface Setting {
  key: string;
  value: string;
  /** Written `;key = value`: an optional setting shown at its default or as an example. */
  commentedOut: boolean;
  /** The comment lines above the setting (and above the settings right before it), joined. */
  doc: string;
}

const COMMENTED_OUT = /^;([A-Za-z_][\w.$]*)\s*=\s*(.*)$/;
const SET = /^([A-Za-z_][\w.$]*)\s*=\s*(.*)$/;

/**
 * The global settings of an example config: those before its first
 * `[section]`. A comment line written `; text` (a space after the `;`) is
 * prose; `;key = value` is a setting commented out.
 */
function settingsOf(text: string): Setting[] {
  const settings: Setting[] = [];
  let doc: string[] = [];
  let afterSetting = false;
  for (const line of text.split("\n").map((line) => line.trim())) {
    if (/^\[.*\]$/.test(line)) break;
    const match = COMMENTED_OUT.exec(line) ?? SET.exec(line);
    if (match) {
      settings.push({
        key: match[1],
        value: match[2],
        commentedOut: line.startsWith(";"),
        doc: doc.join(" "),
      });
      afterSetting = true;
    } else if (line.startsWith(";")) {
      if (afterSetting) doc = [];
      doc.push(line.replace(/^;\s?/, ""));
      afterSetting = false;
    } else {
      doc = [];
      afterSetting = false;
    }
  }
  return settings;
}

/** The example with every `;key = value` line turned into `key = value`. */
function uncommentAll(text: string): string {
  return text.split("\n").map((line) => COMMENTED_OUT.test(line) ? line.slice(1) : line).join(
    "\n",
  );
}

/** How a key is documented: required, or optional with or without a default. */
type KeyDoc =
  | { required: true }
  | { required: false; default?: string | number | boolean }
  /** Documented in the prose of another key's comment (an alternative to a setting shown). */
  | { inDocOf: string };

/** Every key of the worker's config (README.md, "Configuration"), with its default. */
const WORKER_KEYS: Record<string, KeyDoc> = {
  "host": { required: true },
  "port": { required: true },
  "password": { required: false },
  "always_allow_localhost": { required: false, default: DEFAULT_ALWAYS_ALLOW_LOCALHOST },
  "name": { required: false },
  "master_host": { required: false },
  "master_port": { required: false },
  "master_reconnect_timeout": { required: false, default: DEFAULT_MASTER_RECONNECT_TIMEOUT },
  "storage": { required: false, default: DEFAULT_STORAGE },
  "sqlite_path": { inDocOf: "storage" },
  "mysql_host": { required: true },
  "mysql_port": { required: true },
  "mysql_user": { required: true },
  "mysql_password": { required: true },
  "mysql_database": { required: true },
  "mysql_table": { required: false, default: DEFAULT_MYSQL_TABLE },
  "mysql_fetch_limit": { required: false, default: DEFAULT_MYSQL_FETCH_LIMIT },
  "launcher": { required: true },
  "launcher.cwd": { required: false },
  "launcher.env.*": { required: false },
  "max_output_buffer": { required: false, default: DEFAULT_MAX_OUTPUT_BUFFER },
  "poll_interval": { required: false, default: DEFAULT_POLL_INTERVAL },
  "shutdown_timeout": { required: false, default: DEFAULT_SHUTDOWN_TIMEOUT },
  "recover_running": { required: false, default: DEFAULT_RECOVER_RUNNING },
  "max_connections": { required: false, default: DEFAULT_MAX_CONNECTIONS },
  "http_port": { required: false, default: DEFAULT_HTTP_PORT },
  "http_host": { required: false, default: DEFAULT_HTTP_HOST },
  "schedules": { required: false },
  "log_file": { required: false },
  "log_level_file": { required: false, default: DEFAULT_LOG_LEVEL },
  "log_level_console": { required: false, default: DEFAULT_LOG_LEVEL },
  "log_format": { required: false, default: DEFAULT_LOG_FORMAT },
  "timeout": { required: false, default: DEFAULT_TIMEOUT },
  "timeout_grace": { required: false, default: DEFAULT_TIMEOUT_GRACE },
  "max_attempts": { required: false, default: DEFAULT_MAX_ATTEMPTS },
  "retry_delay": { required: false, default: DEFAULT_RETRY_DELAY },
  "retry_delay_max": { required: false, default: DEFAULT_RETRY_DELAY_MAX },
  "retry_exit_codes": { required: false },
};

/** Every key of the master's config, with its default. */
const MASTER_KEYS: Record<string, KeyDoc> = {
  "host": { required: true },
  "port": { required: true },
  "password": { required: false },
  "always_allow_localhost": { required: false, default: DEFAULT_ALWAYS_ALLOW_LOCALHOST },
  "ping_interval": { required: false, default: DEFAULT_PING_INTERVAL },
  "poke_throttle_interval": { required: false, default: DEFAULT_POKE_THROTTLE_INTERVAL },
  "request_timeout": { required: false, default: DEFAULT_REQUEST_TIMEOUT },
  "max_connections": { required: false, default: DEFAULT_MAX_CONNECTIONS },
  "http_port": { required: false, default: DEFAULT_HTTP_PORT },
  "http_host": { required: false, default: DEFAULT_HTTP_HOST },
  "log_file": { required: false },
  "log_level_file": { required: false, default: DEFAULT_LOG_LEVEL },
  "log_level_console": { required: false, default: DEFAULT_LOG_LEVEL },
  "log_format": { required: false, default: DEFAULT_LOG_FORMAT },
};

/** Every key of jobctl's config, with the default jobctl applies when it is absent. */
const JOBCTL_KEYS: Record<string, KeyDoc> = {
  "master": { required: false, default: false },
  "host": { required: false, default: DEFAULT_JOBCTL_HOST },
  "port": { required: false, default: DEFAULT_WORKER_PORT },
  "password": { required: false },
  "log_level": { required: false, default: DEFAULT_LOG_LEVEL },
};

/** Checks that the example documents each key as `keys` says; returns what is wrong. */
function documentationProblems(text: string, keys: Record<string, KeyDoc>): string[] {
  const settings = settingsOf(text);
  const problems: string[] = [];
  for (const [key, expected] of Object.entries(keys)) {
    if ("inDocOf" in expected) {
      const host = settings.find((setting) => setting.key === expected.inDocOf);
      if (!host?.doc.includes(key)) {
        problems.push(`'${key}' is not explained with '${expected.inDocOf}'`);
      }
      continue;
    }
    const setting = key.endsWith(".*")
      ? settings.find((setting) => setting.key.startsWith(key.slice(0, -1)))
      : settings.find((setting) => setting.key === key);
    if (setting === undefined) {
      problems.push(`'${key}' has no line`);
      continue;
    }
    if (setting.doc === "") problems.push(`'${key}' has no comment`);
    const word = expected.required ? "Required" : "Optional";
    if (!setting.doc.includes(word)) problems.push(`'${key}' is not marked ${word}`);
    if (!expected.required && !setting.commentedOut) {
      problems.push(`'${key}' is optional but not commented out`);
    }
    if (!expected.required && expected.default !== undefined) {
      const value = String(expected.default);
      if (!setting.doc.includes(`Default: ${value}`)) {
        problems.push(`'${key}' does not say 'Default: ${value}'`);
      }
      if (!setting.commentedOut || setting.value !== value) {
        problems.push(`'${key}' is not shown commented out at its default '${value}'`);
      }
    }
  }
  for (const setting of settings) {
    const known = Object.keys(keys).some((key) =>
      key.endsWith(".*") ? setting.key.startsWith(key.slice(0, -1)) : setting.key === key
    );
    if (!known) {
      problems.push(`'${setting.key}' is not a key of this file`);
    }
  }
  return problems;
}

Deno.test("jobd.conf.example, installed as it says (mode 640), loads without errors or warnings", async () => {
  await using dir = await tempDir("jobd-example-");
  const path = `${dir.path}/jobd.conf`;
  await Deno.copyFile(`${EXAMPLES}jobd.conf.example`, path);
  await Deno.chmod(path, 0o640);
  const { config, warnings } = await loadWorkerConfig(path, { defaultName: "example-host" });
  assert.deepEqual(warnings, []);
  assert.equal(config.port, DEFAULT_WORKER_PORT, "the example listens on the conventional port");
  assert.ok(config.targets.size > 0, "the example serves at least one target");
  assert.ok(parseCommandTemplate(config.launcher).length > 1, "its launcher template parses");
});

Deno.test("jobd-master.conf.example loads through the master's loader without errors or warnings", async () => {
  const { config, warnings } = await loadMasterConfig(`${EXAMPLES}jobd-master.conf.example`);
  assert.deepEqual(warnings, []);
  assert.equal(config.port, DEFAULT_MASTER_PORT, "the example listens on the conventional port");
});

Deno.test("jobctl.conf.example loads through jobctl's loader without errors or warnings", async () => {
  const { warnings } = await loadJobctlConfig({ path: `${EXAMPLES}jobctl.conf.example` });
  assert.deepEqual(warnings, []);
});

Deno.test("every setting the examples show commented out is valid once uncommented", () => {
  const worker = uncommentAll(readExample("jobd.conf.example"));
  const workerLoaded = parseWorkerConfig(worker, "jobd.conf.example", { defaultName: "x" });
  assert.deepEqual(workerLoaded.warnings, []);
  assert.ok(workerLoaded.config.masterHost !== undefined, "the master settings were uncommented");
  assert.ok(Object.keys(workerLoaded.config.launcherEnv).length > 0, "launcher.env too");

  const master = parseMasterConfig(
    uncommentAll(readExample("jobd-master.conf.example")),
    "jobd-master.conf.example",
  );
  assert.deepEqual(master.warnings, []);
  assert.equal(
    workerLoaded.config.masterPort,
    master.config.port,
    "the worker's example registers with the master's example port",
  );

  const jobctl = parseJobctlConfig(
    uncommentAll(readExample("jobctl.conf.example")),
    "jobctl.conf.example",
  );
  assert.deepEqual(jobctl.warnings, []);
  assert.equal(jobctl.config.port, DEFAULT_WORKER_PORT);
});

Deno.test("the examples document every key, marked required or optional, with the defaults of defaults.ts", () => {
  assert.deepEqual(documentationProblems(readExample("jobd.conf.example"), WORKER_KEYS), []);
  assert.deepEqual(
    documentationProblems(readExample("jobd-master.conf.example"), MASTER_KEYS),
    [],
  );
  assert.deepEqual(documentationProblems(readExample("jobctl.conf.example"), JOBCTL_KEYS), []);
});

/** A key table of README.md: its rows' keys (`*` = required) and default cells. */
interface ReadmeKey {
  key: string;
  required: boolean;
  /** The key's part of the default column: `` `30` ``, `none`, or empty. */
  defaultCell: string;
}

/** The rows of the first table after `heading` in README.md, one per key named in a row. */
function readmeKeyTable(readme: string, heading: string): ReadmeKey[] {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has '${heading}'`);
  const lines = readme.slice(start).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const keys: ReadmeKey[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    const [names, defaults] = line.split("|").slice(1, 3).map((cell) => cell.trim());
    const named = [...names.matchAll(/`([^`]+)`(\\\*)?/g)]
      .filter((match) => !match[1].startsWith("["));
    const cells = defaults.split(/,\s*/);
    named.forEach((match, index) => {
      keys.push({
        key: match[1].replace(/\.NAME$/, ".*"),
        required: match[2] !== undefined,
        defaultCell: (cells.length === named.length ? cells[index] : defaults) ?? "",
      });
    });
  }
  return keys;
}

/** What is wrong with README.md's key table `heading` against `keys`. */
function readmeKeyProblems(heading: string, keys: Record<string, KeyDoc>): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const rows = readmeKeyTable(readme, heading);
  const problems: string[] = [];
  for (const [key, expected] of Object.entries(keys)) {
    const row = rows.find((row) => row.key === key);
    if (row === undefined) {
      problems.push(`'${key}' is not in the table`);
      continue;
    }
    if ("inDocOf" in expected) continue;
    if (row.required !== expected.required) {
      problems.push(`'${key}' is ${expected.required ? "required" : "optional"}: mark it so`);
    }
    const value = expected.required ? undefined : expected.default;
    const shown = value === undefined ? undefined : `\`${value}\``;
    if (shown !== undefined && row.defaultCell !== shown) {
      problems.push(`'${key}' shows the default '${row.defaultCell}', not ${shown}`);
    }
    if (shown === undefined && row.defaultCell.startsWith("`")) {
      problems.push(`'${key}' has no default, but the table shows ${row.defaultCell}`);
    }
  }
  for (const row of rows) {
    if (!(row.key in keys)) problems.push(`'${row.key}' is not a key of this config`);
  }
  return problems;
}

Deno.test("README.md's key tables list every key of the loaders, marked required, with the defaults of defaults.ts", () => {
  assert.deepEqual(readmeKeyProblems("### Configuration", WORKER_KEYS), []);
  assert.deepEqual(readmeKeyProblems("## jobd-master", MASTER_KEYS), []);
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const jobctl = /^`~\/\.jobctl\.conf` \(ini\) may set ([^;]*);/m.exec(readme)?.[1] ?? "";
  assert.deepEqual(
    [...jobctl.matchAll(/`([^`]+)`/g)].map((match) => match[1]).sort(),
    Object.keys(JOBCTL_KEYS).sort(),
  );
});

Deno.test("README.md's job board table lists exactly the keys the board reads", () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const rows = readmeKeyTable(readme, "### The job board (recurring jobs)");
  assert.deepEqual(
    rows.map((row) => row.key).filter((key) => key !== "set.COLUMN").sort(),
    [...BOARD_KEYS].sort(),
  );
  assert.deepEqual(rows.filter((row) => row.required).map((row) => row.key), ["target"]);
});

/** The command names of the first table after `heading` in README.md (`` `pause [TARGET...]` `` -> pause). */
function readmeCommands(heading: string): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has '${heading}'`);
  const lines = readme.slice(start).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const names: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    const cell = line.split("|")[1];
    names.push(...[...cell.matchAll(/`([\w-]+)[^`]*`/g)].map((match) => match[1]));
  }
  return names.sort();
}

Deno.test("README.md's jobctl tables list exactly the commands jobctl has, in each mode", () => {
  const namesOf = (mode: "worker" | "master") =>
    commandsOf(mode).map((command) => command.name).sort();
  assert.deepEqual(readmeCommands("### Worker commands"), namesOf("worker"));
  assert.deepEqual(readmeCommands("### Master commands (`--master`)"), namesOf("master"));
});

Deno.test("README.md's dependency table names every import of deno.json", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const start = readme.indexOf("\n## Dependencies, and why\n");
  assert.ok(start >= 0, "README.md has '## Dependencies, and why'");
  const table = readme.slice(start, readme.indexOf("\n\n", readme.indexOf("\n|", start)));
  const { imports } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    imports: Record<string, string>;
  };
  // `mysql2/promise` is a path into `mysql2`, not a package of its own.
  const packages = new Set(Object.keys(imports).map((name) => name.replace(/\/promise$/, "")));
  const unnamed = [...packages].filter((name) => !table.includes(`${name}\``)).sort();
  assert.deepEqual(unnamed, [], "say in README.md what each dependency is for");
});

/** What is wrong with the "Config keys" part of a `--help` text against `keys`. */
function usageKeyProblems(usage: string, keys: Record<string, KeyDoc>): string[] {
  const part = usage.slice(usage.indexOf("Config keys"), usage.indexOf("\nSignals:"));
  // Each word's first use, where its line names the key (later ones are in other keys' text).
  const named = new Map<string, string>();
  for (const [, word, star] of part.matchAll(/(?<![\w.])([a-z_]+(?:\.[a-zA-Z_]+)*)(\*?)/g)) {
    if (!named.has(word)) named.set(word, star);
  }
  const problems: string[] = [];
  for (const [key, doc] of Object.entries(keys)) {
    const written = key.replace(/\.\*$/, ".NAME");
    if (!named.has(written)) problems.push(`'${written}' is not listed`);
    else if ("required" in doc && doc.required !== (named.get(written) === "*")) {
      problems.push(`'${written}' is ${doc.required ? "not " : ""}marked required (*)`);
    }
  }
  return problems;
}

Deno.test("--help of jobd and jobd-master lists every config key, the required ones with *", () => {
  assert.deepEqual(usageKeyProblems(workerUsage, WORKER_KEYS), []);
  assert.deepEqual(usageKeyProblems(masterUsage, MASTER_KEYS), []);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as `-`. */
function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replaceAll(" ", "-");
}

Deno.test("README.md's links go to its own headings and to files of the repository", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const anchors = new Set(
    [...readme.matchAll(/^#+ (.+)$/gm)].map((match) => headingAnchor(match[1])),
  );
  const broken: string[] = [];
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    if (target.startsWith("#")) {
      if (!anchors.has(target.slice(1))) broken.push(target);
    } else if (!(await exists(`${ROOT}${target.split("#")[0]}`))) broken.push(target);
  }
  assert.deepEqual(broken, []);
  assert.ok(anchors.has("the-job-board-recurring-jobs"), "the anchors are computed as GitHub does");
});

Deno.test("README.md's complete job board is examples/jobd-board.ini, after its header", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const start = readme.indexOf("```ini\n", readme.indexOf("A complete board, "));
  assert.ok(start >= 0, "README.md shows a complete board");
  const shown = readme.slice(start + "```ini\n".length, readme.indexOf("```\n", start + 1));
  assert.ok(
    readExample("jobd-board.ini").endsWith(shown),
    "copy examples/jobd-board.ini into README",
  );
});

Deno.test("the files of the repository that README.md and the start-up errors name exist", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const named = new Set(
    [...readme.matchAll(/`((?:examples|src|scripts|tests|docs|bench)\/[\w./-]+)`/g)]
      .map((match) => match[1]),
  );
  named.add(MYSQL_SCHEMA_FILE).add(SQLITE_SCHEMA_FILE).add(WORKER_CONFIG_EXAMPLE)
    .add(MASTER_CONFIG_EXAMPLE);
  const missing = [];
  for (const path of named) if (!(await exists(`${ROOT}${path}`))) missing.push(path);
  assert.deepEqual(missing, []);
});

Deno.test("each example config names the file its program reads it from", () => {
  for (const { example, installedAs } of Object.values(DAEMON_CONFIGS)) {
    assert.match(readExample(example), new RegExp(`^; Install as ${installedAs}\\b`, "m"), example);
  }
  assert.match(
    readExample("jobctl.conf.example"),
    new RegExp(`^; Install as ~/${JOBCTL_CONFIG_FILE_NAME.replace(".", "\\.")}\\b`, "m"),
  );
});

// ----------------------------------------------------- systemd and supervisor

/** The `Key=Value` lines of a systemd unit, by section (a key may repeat). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current !== undefined && eq > 0, `not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...current.get(key) ?? [], line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** The one value of a key in a unit's section. */
function unitValue(
  unit: Map<string, Map<string, string[]>>,
  section: string,
  key: string,
): string | undefined {
  const values = unit.get(section)?.get(key);
  assert.ok(values === undefined || values.length === 1, `${key} is set more than once`);
  return values?.[0];
}

/**
 * Checks a daemon's command line: the installed binary of a program that
 * compile.sh builds, `--config` (as the daemon itself reads it) and the file
 * the example config is installed as.
 */
function assertDaemonCommand(command: string | undefined, program: keyof typeof DAEMON_CONFIGS) {
  assert.ok(command !== undefined, `${program}: no command`);
  const [binary, ...args] = command.split(/\s+/);
  assert.equal(binary, `${INSTALL_DIR}/${program}`);
  assert.ok(PROGRAMS.includes(program));
  assert.deepEqual(args, ["--config", DAEMON_CONFIGS[program].installedAs]);
  assert.deepEqual(parseDaemonArgs(args, program, "usage"), {
    action: "run",
    configPath: DAEMON_CONFIGS[program].installedAs,
  });
}

for (const program of ["jobd", "jobd-master"] as const) {
  Deno.test(`${program}.service runs ${INSTALL_DIR}/${program} with its config as user ${SERVICE_USER}, stops gracefully and reloads with SIGHUP`, () => {
    const unit = unitFile(readExample(`${program}.service`));
    assertDaemonCommand(unitValue(unit, "Service", "ExecStart"), program);
    assert.equal(unitValue(unit, "Service", "User"), SERVICE_USER);
    assert.equal(unitValue(unit, "Service", "Restart"), "on-failure");
    assert.equal(unitValue(unit, "Service", "KillSignal"), "SIGTERM");
    assert.equal(unitValue(unit, "Service", "ExecReload"), "/bin/kill -HUP $MAINPID");
    const timeout = Number(unitValue(unit, "Service", "TimeoutStopSec"));
    assert.ok(
      timeout > DEFAULT_SHUTDOWN_TIMEOUT,
      `TimeoutStopSec ${timeout} must outlast shutdown_timeout (${DEFAULT_SHUTDOWN_TIMEOUT} s)`,
    );
    assert.equal(unitValue(unit, "Install", "WantedBy"), "multi-user.target");
    // The log directory the unit creates is the one the example's log_file names.
    const logFile = settingsOf(readExample(DAEMON_CONFIGS[program].example))
      .find((setting) => setting.key === "log_file")?.value;
    assert.equal(logFile, `/var/log/${unitValue(unit, "Service", "LogsDirectory")}/${program}.log`);
  });
}

Deno.test("jobd.service sends SIGTERM to the worker alone, so running jobs get shutdown_timeout to finish", () => {
  const unit = unitFile(readExample("jobd.service"));
  assert.equal(unitValue(unit, "Service", "KillMode"), "mixed");
});

const systemdAnalyze = await commandExists("systemd-analyze");

Deno.test({
  name: systemdAnalyze
    ? "systemd-analyze verify finds nothing wrong with the units"
    : "systemd-analyze verify finds nothing wrong with the units (skipped: no systemd-analyze)",
  ignore: !systemdAnalyze,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "jobd-units-" });
    try {
      const paths = [];
      for (const program of ["jobd", "jobd-master"]) {
        // The binaries are not installed here: point ExecStart at a program that exists.
        const text = readExample(`${program}.service`)
          .replace(`ExecStart=${INSTALL_DIR}/${program} `, "ExecStart=/bin/true ");
        paths.push(`${dir}/${program}.service`);
        await Deno.writeTextFile(paths.at(-1)!, text);
      }
      const output = await new Deno.Command("systemd-analyze", {
        args: ["verify", ...paths],
        env: { SYSTEMD_LOG_COLOR: "0" },
      }).output();
      const messages = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(messages.trim(), "");
      assert.equal(output.code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("supervisor.conf runs both daemons with their configs, stops them with TERM and waits past shutdown_timeout", () => {
  const conf = parseIniText(readExample("supervisor.conf")) as Record<
    string,
    Record<string, unknown>
  >;
  assert.deepEqual(Object.keys(conf).sort(), ["program:jobd", "program:jobd-master"]);
  for (const program of ["jobd", "jobd-master"] as const) {
    // ini reads true, false and numbers as such; supervisord reads the same text.
    const section = Object.fromEntries(
      Object.entries(conf[`program:${program}`]).map(([key, value]) => [key, String(value)]),
    );
    assertDaemonCommand(section.command, program);
    assert.equal(section.user, SERVICE_USER);
    assert.equal(section.stopsignal, "TERM");
    assert.ok(
      Number(section.stopwaitsecs) > DEFAULT_SHUTDOWN_TIMEOUT,
      `stopwaitsecs ${section.stopwaitsecs} must outlast shutdown_timeout`,
    );
    assert.equal(section.stopasgroup, "false", "TERM goes to the daemon, not to its jobs");
    assert.equal(section.killasgroup, "true", "the final SIGKILL reaches the jobs too");
  }
});

// ------------------------------------------------------------------- compiling

async function commandExists(name: string): Promise<boolean> {
  try {
    await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch {
    return false;
  }
}

/** Runs scripts/compile.sh; resolves with its exit code and output. */
async function compileScript(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("bash", {
    args: [COMPILE_SCRIPT, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  return decodeOutput(output);
}

Deno.test("compile.sh compiles each program from its entry point with exactly its permission and V8 flags", async () => {
  const { code, stdout, stderr } = await compileScript(["--dry-run", "--out-dir", "/opt/out"], {
    DENORT_BIN: "",
  });
  assert.equal(code, 0, stderr);
  const commands = stdout.trim().split("\n");
  assert.deepEqual(
    commands,
    PROGRAMS.map((program) =>
      [
        "deno compile",
        ...PERMISSIONS[program],
        "--output",
        `/opt/out/${program}`,
        ENTRY_POINTS[program],
      ]
        .join(" ")
    ),
  );
});

Deno.test("compile.sh puts the binaries of each --target in a folder of their own", async () => {
  const target = "aarch64-apple-darwin";
  const { code, stdout, stderr } = await compileScript([
    "--dry-run",
    "--out-dir",
    "/opt/out",
    "--target",
    target,
    "jobctl",
  ], { DENORT_BIN: "" });
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout.trim(),
    ["deno compile --target", target, ...PERMISSIONS.jobctl, "--output"].join(" ") +
      ` /opt/out/${target}/jobctl ${ENTRY_POINTS.jobctl}`,
  );
});

Deno.test("compile.sh refuses an unknown target and names the ones it builds", async () => {
  const { code, stderr } = await compileScript(["--target", "riscv64-unknown-linux-gnu"]);
  assert.equal(code, 2);
  assert.match(stderr, /unknown target 'riscv64-unknown-linux-gnu'/);
  assert.match(stderr, /x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu/);
});

Deno.test("compile.sh explains DENORT_BIN in its help and says so when DENORT_BIN names no file", async () => {
  const help = await compileScript(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /DENORT_BIN/);

  const dir = await Deno.makeTempDir({ prefix: "jobd-compile-" });
  try {
    const missing = `${dir}/no-such-denort`;
    const { code, stderr } = await compileScript(["--out-dir", dir], { DENORT_BIN: missing });
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`DENORT_BIN is '${missing}', which is not a file`));
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing was built");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile.sh refuses a binary that does not print its version, such as one built on deno instead of denort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd-compile-" });
  try {
    const { code, stderr } = await compileScript(["--out-dir", dir, "jobd"], {
      DENORT_BIN: Deno.execPath(),
    });
    assert.equal(code, 1);
    assert.match(stderr, /--version printed 'deno .*', not 'jobd /);
    assert.match(stderr, /DENORT_BIN names the deno binary itself/);
    assert.equal(await exists(`${dir}/jobd`), false, "the broken binary was removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Whether `deno compile` can get its runtime (denort) without a download:
 * from DENORT_BIN, or from a denort already in DENO_DIR (a compile that once
 * downloaded it, or a zip put there by hand). This machine reaches no
 * download site, and a test should not try to.
 */
async function compileRuntimeAvailable(): Promise<boolean> {
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) return (await Deno.stat(denortBin).catch(() => undefined))?.isFile ?? false;
  let denoDir = Deno.env.get("DENO_DIR");
  if (!denoDir) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stderr: "null",
    }).output();
    if (!info.success) return false;
    denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  }
  const zip = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return await exists(zip);
}

/**
 * Runs each compiled program in `dir` with `--version` and `--help`, and the
 * worker through one real job.
 */
async function checkCompiledBinaries(dir: string): Promise<void> {
  const decoder = new TextDecoder();
  for (const program of PROGRAMS) {
    const version = await new Deno.Command(`${dir}/${program}`, {
      args: ["--version"],
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(version.code, 0, `${program} --version`);
    assert.equal(decoder.decode(version.stdout).trim(), `${program} ${VERSION}`);

    const help = await new Deno.Command(`${dir}/${program}`, {
      args: ["--help"],
      env: { NO_COLOR: "1", HOME: dir },
    }).output();
    const fromSource = await runProgram(program, ["--help"]);
    assert.equal(help.code, 0, `${program} --help`);
    assert.equal(decoder.decode(help.stdout), fromSource.stdout, `${program} --help`);
  }

  await using db = await openTestDatabase();
  const [id] = await db.insertJobs("t1", 1);
  const port = freePort();
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const runDir = await Deno.makeTempDir({ prefix: "jobd-compiled-" });
  try {
    const configPath = `${runDir}/jobd.conf`;
    await Deno.writeTextFile(configPath, workerConfig(db, port, jobDir));
    await using worker = new ProgramProcess("jobd", `${dir}/jobd`, {
      args: ["--config", configPath],
      dir: runDir,
    });
    await worker.waitForPort(port);
    const client = await workerClient(port);
    try {
      await client.poll(["t1"]);
      const [row] = await waitForDone(db, [id]);
      assert.deepEqual(
        [row.result, row.return_code, row.stdout, row.stderr],
        ["ok", 0, `out ${id}\n`, `err ${id}\n`],
      );
    } finally {
      client.close();
    }
  } finally {
    await Deno.remove(jobDir, { recursive: true }).catch(() => {});
  }
}

const canCompile = await compileRuntimeAvailable();

Deno.test({
  name: canCompile
    ? "compiled binaries print their version and help, and the worker runs a job"
    : "compiled binaries print their version and help, and the worker runs a job " +
      "(skipped: no Deno runtime for compiling; set DENORT_BIN)",
  ignore: !canCompile,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "jobd-dist-" });
    try {
      const { code, stdout, stderr } = await compileScript(["--out-dir", dir]);
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      await checkCompiledBinaries(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
