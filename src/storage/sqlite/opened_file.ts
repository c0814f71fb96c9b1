/**
 * Whether the database's path still leads to the file the store opened. A
 * deploy that creates the database afresh (a rename over it) or removes it
 * leaves the store on the old file, which no application writes to any more:
 * its new jobs would wait for ever with nothing said. The claims notice it
 * (a warning, once per change) and `ping` fails on it (`/health`).
 */

import { getLogger } from "@logtape/logtape";
import type { OpenedFile } from "./context.ts";

/** What happened to the file under the path since the store opened it. */
export type FileProblem = "removed" | "replaced";

/** The problem last warned about, per opened file: one warning per change, not per check. */
const warned = new WeakMap<OpenedFile, FileProblem>();

/**
 * Checks `file`'s path (one `stat`) and logs a warning saying to restart
 * when it no longer leads to the opened file, once until that changes.
 * Returns the problem, if any.
 */
export function noticeFileProblem(file: OpenedFile): FileProblem | undefined {
  const problem = fileProblem(file);
  if (problem === undefined) {
    warned.delete(file);
    return undefined;
  }
  if (warned.get(file) !== problem) {
    warned.set(file, problem);
    getLogger(["jobd", "storage"]).warn(
      "The SQLite file '{path}' was {problem} since the worker opened it: the worker still uses " +
        "the {old} one, which applications no longer write to; restart the worker",
      { path: file.path, problem, old: oldFile(problem) },
    );
  }
  return problem;
}

/** The error of an operation that must not go on with the old file (`ping`). */
export function fileProblemError(problem: FileProblem): Error {
  return new Error(
    `the file was ${problem} since the worker opened it: the worker still uses the ` +
      `${oldFile(problem)} one (restart it)`,
  );
}

function oldFile(problem: FileProblem): string {
  return problem === "removed" ? "removed" : "old";
}

function fileProblem(file: OpenedFile): FileProblem | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file.path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return "removed";
  }
  return info.dev !== file.dev || info.ino !== file.ino ? "replaced" : undefined;
}
