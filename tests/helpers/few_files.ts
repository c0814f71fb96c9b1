/**
 * Running code in this process while it may open only a few more files
 * (its soft RLIMIT_NOFILE lowered with `prlimit`), for tests of what the
 * worker does when file descriptors run out. Linux with `prlimit` only:
 * spread {@linkcode fewFiles} into the test definition.
 */

import assert from "node:assert/strict";
import { findProgram } from "../../src/worker/process_group.ts";

const PRLIMIT = findProgram("prlimit");

/** `ignore` for tests that need {@linkcode withFewFiles}. */
export const fewFiles = { ignore: PRLIMIT === undefined || Deno.build.os !== "linux" };

/** The soft limit of open files of this process. */
function openFilesLimit(): number {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const line = limits.split("\n").find((line) => line.startsWith("Max open files"));
  return Number(line?.split(/\s{2,}/)[1]);
}

/** `prlimit` setting this process's soft limit of open files, run when its stdin gets a line. */
function prlimitOnCue(soft: number): { cue(): Promise<void> } {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'read _ && exec "$0" --pid "$1" "--nofile=$2:"', PRLIMIT ?? "prlimit"]
      .concat([String(Deno.pid), String(soft)]),
    stdin: "piped",
  }).spawn();
  return {
    async cue() {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("\n"));
      await writer.close();
      assert.ok((await child.status).success);
    },
  };
}

/**
 * Runs `body` while this process may open only two more files: enough for
 * nothing but a launcher's stdin and one pipe. `restore` lifts the limit
 * early; it is lifted at the end in any case. (Restoring needs no new file:
 * the `prlimit` that does it was started before.)
 */
export async function withFewFiles<T>(
  body: (restore: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const restorer = prlimitOnCue(openFilesLimit());
  let restored: Promise<void> | undefined;
  const restore = () => restored ??= restorer.cue();
  const open = [...Deno.readDirSync("/proc/self/fd")].length;
  await prlimitOnCue(open + 2).cue();
  try {
    return await body(restore);
  } finally {
    await restore();
  }
}
