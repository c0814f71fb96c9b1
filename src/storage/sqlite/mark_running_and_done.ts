/** accepted -> running and running -> done in one commit: a slot's result with its next start. */

import type { FinishedJob, StartedAndDone } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";
import { writeEnds } from "./mark_done.ts";
import { setRunning } from "./mark_running.ts";

/** `markRunning` and `markDone` in one transaction: one commit. */
export function markRunningAndDone(
  context: SqliteContext,
  starting: readonly number[],
  startedAt: number,
  done: readonly FinishedJob[],
): StartedAndDone {
  return context.connection.immediate(() => ({
    notAccepted: setRunning(context, starting, startedAt),
    notRunning: writeEnds(context, done),
  }));
}
