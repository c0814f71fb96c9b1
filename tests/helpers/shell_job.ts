/** Launcher settings for the launcher's unit tests (src/worker/*_test.ts). */

import type { LauncherSettings } from "../../src/worker/launcher.ts";

/**
 * Settings running `script` with /bin/sh, the job id as `$1`, up to 1 MiB
 * of output kept; `extra` on top (a `groupStart` of null starts the job with
 * `detached: true` instead of through `setsid`).
 */
export function shellJob(script: string, extra: Partial<LauncherSettings> = {}): LauncherSettings {
  return {
    argv: ["/bin/sh", "-c", script, "launcher", "{id}"],
    env: {},
    maxOutputBytes: 1024 * 1024,
    ...extra,
  };
}
