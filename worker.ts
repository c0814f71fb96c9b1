/**
 * `jobd`, the worker: claims jobs from the jobs table and runs them.
 * Entry point only: the program's parts for `runDaemon`.
 */

import { ConfigError } from "./src/config/ini_file.ts";
import { loadWorkerConfig, type WorkerConfig } from "./src/config/worker_config.ts";
import { type DaemonProgram, runDaemon } from "./src/daemon_main.ts";
import { CommandTemplateError } from "./src/worker/command_template.ts";
import { launcherSettings, WorkerDaemon } from "./src/worker/daemon.ts";
import { workerUsage } from "./src/usage.ts";

/** Loads the config and checks the launcher template, naming the file and key on error. */
async function loadConfig(path: string): Promise<{ config: WorkerConfig; warnings: string[] }> {
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

const worker: DaemonProgram<WorkerConfig, WorkerDaemon> = {
  name: "jobd",
  usage: workerUsage,
  load: loadConfig,
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
  runningConfig: (daemon) => daemon.config,
  shutdown: (daemon) => daemon.shutdown(),
  hurry: (daemon) => daemon.hurry(),
  reload: (daemon, config) => daemon.reload(config),
};

if (import.meta.main) Deno.exit(await runDaemon(worker, Deno.args));
