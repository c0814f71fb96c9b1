/** Whether the database answers: the cheapest statement on the jobs table. */

import { getLogger } from "@logtape/logtape";
import type { OpenedFile, SqliteContext } from "./context.ts";

/** What happened to the file under the path since the store opened it. */
type FileProblem = "removed" | "replaced";

/** The problem last warned about, per opened file: one warning per change, not per ping. */
const warned = new WeakMap<OpenedFile, FileProblem>();

/**
 * Reads at most one row's constant from the jobs table: returns when the
 * file and the table are readable, throws otherwise, and when the path no
 * longer leads to the file the store opened (removed, or replaced by
 * another: the store would go on with the old one, which no application
 * writes to any more). That last case is also logged, once until it changes.
 */
export function ping(context: SqliteContext): void {
  context.connection.get(`SELECT 1 FROM ${context.table} LIMIT 1`);
  if (context.file !== undefined) checkSameFile(context.file);
}

function checkSameFile(file: OpenedFile): void {
  const problem = fileProblem(file);
  if (problem === undefined) {
    warned.delete(file);
    return;
  }
  const old = problem === "removed" ? "removed" : "old";
  if (warned.get(file) !== problem) {
    warned.set(file, problem);
    getLogger(["jobd", "storage"]).warn(
      "The SQLite file '{path}' was {problem} since the worker opened it: the worker still uses " +
        "the {old} one, which applications no longer write to; restart the worker",
      { path: file.path, problem, old },
    );
  }
  throw new Error(
    `the file was ${problem} since the worker opened it: the worker still uses the ${old} one ` +
      "(restart it)",
  );
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
