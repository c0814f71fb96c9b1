/**
 * A `jobd` expected to stop at start-up: run until it exits, and killed if it
 * is still running after a while, so that a worker that starts when it
 * should not fails its test instead of hanging it.
 */

import { spawnProgram } from "./processes.ts";

/** Runs `jobd --config configPath` until it exits (SIGKILL after `seconds`): its code and stderr. */
export async function runWorkerToExit(
  configPath: string,
  seconds = 30,
): Promise<{ code: number | null; stderr: string }> {
  const process = spawnProgram("jobd", ["--config", configPath]);
  const timer = setTimeout(() => process.kill("SIGKILL"), seconds * 1000);
  try {
    const { status, stderr } = await process.finished();
    return { code: status.signal === null ? status.code : null, stderr };
  } finally {
    clearTimeout(timer);
    await process[Symbol.asyncDispose]();
  }
}
