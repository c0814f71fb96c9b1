/**
 * `jobd-master`, the master: workers register with it, and it routes pokes,
 * pause, continue, run-manual, send-signal and status to them.
 * Entry point only: the program's parts for `runDaemon`.
 */

import { loadMasterConfig, type MasterConfig } from "./src/config/master_config.ts";
import { type DaemonProgram, runDaemon } from "./src/daemon_main.ts";
import { MasterDaemon } from "./src/master/daemon.ts";
import { masterUsage } from "./src/usage.ts";
import { masterSummaryItems } from "./src/daemon_summary.ts";

const master: DaemonProgram<MasterConfig, MasterDaemon> = {
  name: "jobd-master",
  usage: masterUsage,
  load: (path) => loadMasterConfig(path),
  check: (config) => Promise.resolve(masterSummaryItems({ config })),
  logging: (config) => ({
    consoleLevel: config.logLevelConsole,
    fileLevel: config.logLevelFile,
    filePath: config.logFile,
    format: config.logFormat,
    secrets: [config.password],
  }),
  start: (config) => Promise.resolve(MasterDaemon.start(config)),
  summary: (daemon) => daemon.summary(),
  runningConfig: (daemon) => daemon.config,
  shutdown: (daemon) => daemon.shutdown(),
  reload: (daemon, config) => {
    daemon.reload(config);
    return {}; // The master has no targets of its own: nothing is refused or left over.
  },
};

if (import.meta.main) Deno.exit(await runDaemon(master, Deno.args));
