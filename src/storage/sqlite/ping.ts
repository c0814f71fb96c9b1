/** Whether the database answers: the cheapest statement on the jobs table. */

import type { SqliteContext } from "./context.ts";
import { fileProblemError, noticeFileProblem } from "./opened_file.ts";

/**
 * Reads at most one row's constant from the jobs table: returns when the
 * file and the table are readable, throws otherwise, and when the path no
 * longer leads to the file the store opened (removed, or replaced by
 * another; also logged, once until it changes: see opened_file.ts).
 */
export function ping(context: SqliteContext): void {
  context.connection.get(`SELECT 1 FROM ${context.table} LIMIT 1`);
  if (context.file === undefined) return;
  const problem = noticeFileProblem(context.file);
  if (problem !== undefined) throw fileProblemError(problem);
}
