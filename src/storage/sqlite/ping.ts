/** Whether the database answers: the cheapest statement on the jobs table. */

import type { OpenedFile, SqliteContext } from "./context.ts";

/**
 * Reads at most one row's constant from the jobs table: returns when the
 * file and the table are readable, throws otherwise, and when the path no
 * longer leads to the file the store opened (removed, or replaced by
 * another: the store would go on with the old one, which no application
 * writes to any more).
 */
export function ping(context: SqliteContext): void {
  context.connection.get(`SELECT 1 FROM ${context.table} LIMIT 1`);
  if (context.file !== undefined) checkSameFile(context.file);
}

function checkSameFile(file: OpenedFile): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file.path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      "the file was removed since the worker opened it: the worker still uses the removed one " +
        "(restart it)",
    );
  }
  if (info.dev !== file.dev || info.ino !== file.ino) {
    throw new Error(
      "the file was replaced since the worker opened it: the worker still uses the old one " +
        "(restart it)",
    );
  }
}
