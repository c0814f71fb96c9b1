/** accepted -> running and running -> done in one commit: a slot's result with its next start. */

import type { ResultSetHeader } from "mysql2/promise";
import type { FinishedJob, StartedAndDone } from "../job_store.ts";
import type { MysqlContext } from "./context.ts";
import { runQuery } from "./query.ts";
import { ownerGuard } from "../owner_guard.ts";
import type { OutputColumn, OutputColumnName } from "./output_fit.ts";
import { END_COLUMNS, fitter, isUnfitValue, markDone, writtenBefore } from "./mark_done.ts";
import { markedBefore, markRunning } from "./mark_running.ts";
import { countedAttempts } from "../time_columns.ts";

/**
 * Most output (stdout and stderr, in UTF-16 code units) the ended jobs may
 * carry for the one statement; more goes as `markDone` and `markRunning`
 * (two commits), as does output a column refuses.
 */
const MAX_JOINED_OUTPUT = 64 * 1024;

/**
 * One autocommitted UPDATE sets `starting` `running` (`time_started`, an
 * attempt counted) where `accepted`, and writes the end of `done` where
 * `running`, each row keeping the columns the other change sets. As in
 * `markRunning` and `markDone`, a count of changed rows short of all is
 * told apart by one more read per side, which also recognises the rows an
 * earlier attempt changed before its reply was lost.
 */
export async function markRunningAndDone(
  context: MysqlContext,
  starting: readonly number[],
  startedAt: number,
  done: readonly FinishedJob[],
): Promise<StartedAndDone> {
  let output = 0;
  for (const { outcome } of done) output += outcome.stdout.length + outcome.stderr.length;
  if (output > MAX_JOINED_OUTPUT) return await separately(context, starting, startedAt, done);
  const fit = fitter(context);
  const owned = ownerGuard(context);
  const cases = done.map(() => "WHEN ? THEN ?").join(" ");
  const endValues = END_COLUMNS.flatMap(([, value]) =>
    done.flatMap((job) => [job.id, value(job, fit)])
  );
  const attempts = context.time.columns.has("attempts")
    ? `, attempts = IF(id IN (?), ${countedAttempts("LEAST")}, attempts)`
    : "";
  const doneIds = done.map((job) => job.id);
  let update: ResultSetHeader;
  try {
    // Each column's new value depends on the id only (MySQL assigns left to
    // right, so a later one must not read `status`).
    update = await runQuery<ResultSetHeader>(
      context.pool,
      context.queryTimeoutMs,
      `UPDATE ${context.table}
          SET status = IF(id IN (?), 'running', 'done'),
              time_started = IF(id IN (?), ?, time_started)${attempts}, ${
        END_COLUMNS.map(([column]) =>
          `${column} = CASE id ${cases} ELSE ${kept(context, column)} END`
        )
          .join(", ")
      }
        WHERE ((id IN (?) AND status = 'accepted') OR (id IN (?) AND status = 'running'))${owned.sql}`,
      [
        starting,
        starting,
        startedAt,
        ...attempts === "" ? [] : [starting],
        ...endValues,
        starting,
        doneIds,
        ...owned.params,
      ],
    );
  } catch (error) {
    if (!isUnfitValue(error)) throw error;
    return await separately(context, starting, startedAt, done);
  }
  if (update.affectedRows === starting.length + done.length) {
    return { notAccepted: [], notRunning: [] };
  }
  const marked = await markedBefore(context, starting, startedAt);
  const written = await writtenBefore(context, done);
  return {
    notAccepted: starting.filter((id) => !marked.has(id)),
    notRunning: doneIds.filter((id) => !written.has(id)),
  };
}

/**
 * A column's own value in the joined statement's `CASE`, for the rows that
 * keep it. An output column in another character set than the connection's
 * (`latin1`) is read as utf8mb4, to which it converts without loss: mixed
 * with the new output (utf8mb4) as it is, the server refuses non-ASCII output
 * ("Illegal mix of collations"), and every start that carried a result would
 * fail first.
 */
function kept(context: MysqlContext, column: string): string {
  const output = context.output[column as OutputColumnName] as OutputColumn | undefined;
  return output === undefined || output.charset === "" || output.charset === "utf8mb4"
    ? column
    : `CONVERT(${column} USING utf8mb4)`;
}

/** The two writes one after the other: the start first, since its slot waits for it. */
async function separately(
  context: MysqlContext,
  starting: readonly number[],
  startedAt: number,
  done: readonly FinishedJob[],
): Promise<StartedAndDone> {
  const notAccepted = await markRunning(context, starting, startedAt);
  return { notAccepted, notRunning: await markDone(context, done) };
}
