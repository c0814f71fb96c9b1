/**
 * `jobd-master`, the master: workers register with it, and it routes pokes,
 * pause, continue, run-manual, send-signal and status to them.
 * Entry point only: arguments, config, logging, start, signals.
 */

import { ConfigError } from "./src/config/ini_file.ts";
import { loadMasterConfig, type MasterConfig } from "./src/config/master_config.ts";
import { exitWith, parseDaemonArgs } from "./src/daemon_args.ts";
import { configureLogging, jobdLogger, type Logging, type LoggingOptions } from "./src/log.ts";
import { MasterDaemon } from "./src/master/daemon.ts";
import { masterUsage } from "./src/usage.ts";

const log = jobdLogger("master");

function loggingOptions(config: MasterConfig): LoggingOptions {
  return {
    consoleLevel: config.logLevelConsole,
    fileLevel: config.logLevelFile,
    filePath: config.logFile,
    secrets: [config.password],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(args: string[]): Promise<number> {
  const command = parseDaemonArgs(args, "jobd-master", masterUsage);
  if (command.action === "exit") exitWith(command);

  let loaded;
  try {
    loaded = await loadMasterConfig(command.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`config parsing error: ${error.message}`);
    return 1;
  }
  let logging: Logging;
  try {
    logging = await configureLogging(loggingOptions(loaded.config));
  } catch (error) {
    console.error(`jobd-master: cannot start: ${errorText(error)}`);
    return 1;
  }
  for (const warning of loaded.warnings) log.warn("{warning}", { warning });

  let daemon: MasterDaemon;
  try {
    daemon = MasterDaemon.start(loaded.config);
  } catch (error) {
    log.error("Cannot start: {error}", { error: errorText(error) });
    await logging.dispose();
    console.error(`jobd-master: cannot start: ${errorText(error)}`);
    return 1;
  }

  const stopped = Promise.withResolvers<void>();
  const stop = (signal: Deno.Signal) => {
    log.info("{signal} received", { signal });
    daemon.shutdown().then(stopped.resolve, stopped.reject);
  };
  const reload = async () => {
    try {
      const next = await loadMasterConfig(command.configPath);
      for (const warning of next.warnings) log.warn("{warning}", { warning });
      // The running password stays until a restart: keep masking both.
      await logging.reconfigure({
        ...loggingOptions(next.config),
        secrets: [next.config.password, daemon.config.password],
      });
      daemon.reload(next.config);
    } catch (error) {
      log.error("Config reload failed, keeping the running config: {error}", {
        error: errorText(error),
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
