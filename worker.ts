/**
 * `jobd`, the worker: claims jobs from the jobs table and runs them.
 * Entry point only: arguments, config, logging, start, signals.
 */

import { ConfigError } from "./src/config/ini_file.ts";
import { loadWorkerConfig, type WorkerConfig } from "./src/config/worker_config.ts";
import { exitWith, parseDaemonArgs } from "./src/daemon_args.ts";
import { configureLogging, jobdLogger, type Logging } from "./src/log.ts";
import { CommandTemplateError } from "./src/worker/command_template.ts";
import { launcherSettings, WorkerDaemon } from "./src/worker/daemon.ts";
import { workerUsage } from "./src/usage.ts";

const log = jobdLogger("worker");

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

function loggingOptions(config: WorkerConfig) {
  return {
    consoleLevel: config.logLevelConsole,
    fileLevel: config.logLevelFile,
    filePath: config.logFile,
    secrets: [
      config.password,
      config.storage.kind === "mysql" ? config.storage.password : undefined,
    ],
  };
}

async function main(args: string[]): Promise<number> {
  const command = parseDaemonArgs(args, "jobd", workerUsage);
  if (command.action === "exit") exitWith(command);

  let loaded;
  try {
    loaded = await loadConfig(command.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config parsing error: ${error.message}`);
    return 1;
  }
  const logging: Logging = await configureLogging(loggingOptions(loaded.config));
  for (const warning of loaded.warnings) log.warn("{warning}", { warning });

  let daemon: WorkerDaemon;
  try {
    daemon = await WorkerDaemon.start(loaded.config);
  } catch (error) {
    log.error("Cannot start: {error}", {
      error: error instanceof Error ? error.message : String(error),
    });
    await logging.dispose();
    console.error(`jobd: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const stopped = Promise.withResolvers<void>();
  let shuttingDown = false;
  const stop = (signal: Deno.Signal) => {
    if (shuttingDown) {
      log.warn("{signal} again: killing running jobs now", { signal });
      daemon.hurry();
      return;
    }
    shuttingDown = true;
    log.info("{signal} received", { signal });
    daemon.shutdown().then(stopped.resolve, stopped.reject);
  };
  const reload = async () => {
    try {
      const next = await loadConfig(command.configPath);
      for (const warning of next.warnings) log.warn("{warning}", { warning });
      await logging.reconfigure(loggingOptions(next.config));
      daemon.reload(next.config);
    } catch (error) {
      log.error("Config reload failed, keeping the running config: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGHUP", reload);
  await stopped.promise;
  Deno.removeSignalListener("SIGTERM", onTerm);
  Deno.removeSignalListener("SIGINT", onInt);
  Deno.removeSignalListener("SIGHUP", reload);
  await logging.dispose();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
