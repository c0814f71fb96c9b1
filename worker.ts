/**
 * `jobd`, the worker: claims jobs from the jobs table and runs them.
 * Entry point only: the program's parts for `runDaemon`.
 */

import { ConfigError } from "./src/config/ini_file.ts";
import {
  type LoadedWorkerConfig,
  loadWorkerConfig,
  type WorkerConfig,
} from "./src/config/worker_config.ts";
import { type DaemonProgram, runDaemon } from "./src/daemon_main.ts";
import { CommandTemplateError } from "./src/worker/command_template.ts";
import { launcherSettings, WorkerDaemon } from "./src/worker/daemon.ts";
import { workerUsage } from "./src/usage.ts";
import { type SummaryItem, workerSummaryItems } from "./src/daemon_summary.ts";
import { readBoard } from "./src/schedule/job_board.ts";

/** Loads the config and checks the launcher template, naming the file and key on error. */
async function loadConfig(path: string): Promise<LoadedWorkerConfig> {
  const loaded = await loadWorkerConfig(path);
  try {
    launcherSettings(loaded.config);
  } catch (error) {
    if (error instanceof CommandTemplateError) {
      throw new ConfigError(path, `'launcher': ${error.message}`, { key: "launcher" });
    }
    throw error;
  }
  return loaded;
}

/**
 * `--check-config`: the job board's file read and checked too (its `set`
 * columns are checked against the table at start-up only); what it serves.
 */
async function checkConfig(config: WorkerConfig): Promise<SummaryItem[]> {
  let schedules: number | undefined;
  if (config.schedules !== undefined) {
    const { BoardError } = await import("./src/schedule/board.ts");
    try {
      schedules = (await readBoard(config.schedules, config.configFile)).schedules.length;
    } catch (error) {
      // Every problem of the board, each naming its file, section and key.
      if (error instanceof BoardError) {
        const details = error.problems.map((p) => p.message.slice(`${p.file}: `.length));
        throw new ConfigError(config.schedules, details.join("; "), {
          key: error.problems[0]?.key,
        });
      }
      throw error;
    }
  }
  return workerSummaryItems({ config, schedules });
}

const worker: DaemonProgram<WorkerConfig, WorkerDaemon> = {
  name: "jobd",
  usage: workerUsage,
  load: loadConfig,
  check: checkConfig,
  logging: (config) => ({
    consoleLevel: config.logLevelConsole,
    fileLevel: config.logLevelFile,
    filePath: config.logFile,
    format: config.logFormat,
    secrets: [
      config.password,
      config.storage.kind === "mysql" ? config.storage.password : undefined,
    ],
  }),
  start: (config) => WorkerDaemon.start(config),
  summary: (daemon) => daemon.summary(),
  runningConfig: (daemon) => daemon.config,
  shutdown: (daemon) => daemon.shutdown(),
  hurry: (daemon) => daemon.hurry(),
  reload: (daemon, config) => daemon.reload(config),
};

if (import.meta.main) Deno.exit(await runDaemon(worker, Deno.args));
