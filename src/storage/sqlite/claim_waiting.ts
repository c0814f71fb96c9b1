/** waiting -> accepted (or running, for the jobs that start at once): the claim of a poll. */

import type { ClaimedJob } from "../../job.ts";
import type { SqliteContext } from "./context.ts";
import { attachRowValues } from "./read_row_values.ts";
import { markStarting } from "../start_now.ts";
import { countedAttempts } from "../time_columns.ts";
import { noticeFileProblem } from "./opened_file.ts";
import { CLAIMABLE_ID_SQL } from "../claimable_ids.ts";

/**
 * The read of a claim for one target: `?` = target, limit. `table` is quoted
 * already. Rows of ids beyond ±(2^53 − 1) stay `waiting` (`claimable_ids.ts`).
 */
export function claimSelectSql(table: string): string {
  return `SELECT id FROM ${table}
    WHERE status = 'waiting' AND target = ? AND ${CLAIMABLE_ID_SQL}
    ORDER BY id LIMIT ?`;
}

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one `BEGIN IMMEDIATE` transaction: the write lock is
 * held from the reads to the update, so two connections (two workers, or two
 * stores in one process) never claim the same row. Records the owner when
 * tracked. The jobs carry their target as requested, in the order of
 * `limits`, then by id. The first `startNow` rows of a target go to
 * `running` instead, with `time_started` = `startedAt` and the attempt
 * counted, by the same UPDATE; the per-row values are read before it.
 * Each claim first checks that the path still leads to the opened file (a
 * warning, once per change, when it does not: see opened_file.ts).
 */
export function claimWaiting(
  context: SqliteContext,
  limits: ReadonlyMap<string, number>,
  startNow: ReadonlyMap<string, number>,
  startedAt: number,
): ClaimedJob[] {
  const { connection, table } = context;
  if (context.file !== undefined) noticeFileProblem(context.file);
  return connection.immediate(() => {
    const claimed = new Map<number, ClaimedJob>();
    for (const [target, limit] of limits) {
      const rows = connection.all(claimSelectSql(table), target, limit);
      for (const { id } of rows) {
        // A row two served names both match (a NOCASE column) goes to the first.
        if (!claimed.has(Number(id))) {
          claimed.set(Number(id), { id: Number(id), target, origin: "waiting" });
        }
      }
    }
    const jobs = attachRowValues(context, [...claimed.values()]);
    if (jobs.length === 0) return [];
    const ids = jobs.map((job) => job.id);
    const starting = markStarting(jobs, startNow, startedAt);
    const changed = claimUpdate(context, ids, starting, startedAt, "waiting");
    if (changed !== ids.length) {
      // The write lock makes this impossible; if it happens, claim nothing.
      throw new Error(`${ids.length} waiting rows read but ${changed} updated`);
    }
    return jobs;
  });
}

/**
 * A claim's UPDATE: `ids` (rows in `from`) to `accepted`, those of
 * `starting` to `running` with `time_started` = `startedAt` and the attempt
 * counted; run-manual's claim uses it too. Returns how many rows changed.
 */
export function claimUpdate(
  context: SqliteContext,
  ids: number[],
  starting: number[],
  startedAt: number,
  from: "waiting" | "manual",
): number {
  const { connection, table, tracksOwner, workerName } = context;
  const owner = tracksOwner ? ", worker = ?" : "";
  const ownerValues = tracksOwner ? [workerName] : [];
  const list = JSON.stringify(ids);
  if (starting.length === 0) {
    return connection.run(
      `UPDATE ${table} SET status = 'accepted'${owner}
        WHERE id IN (SELECT value FROM json_each(?)) AND status = '${from}'`,
      ...ownerValues,
      list,
    );
  }
  return connection.run(
    // SQLite reads every column's old value: the order of the SETs does not matter.
    `UPDATE ${table}
        SET status = IIF(id IN (SELECT value FROM json_each(?1)), 'running', 'accepted'),
            time_started = IIF(id IN (SELECT value FROM json_each(?1)), ?2, time_started)${
      context.time.columns.has("attempts")
        ? `, attempts = IIF(id IN (SELECT value FROM json_each(?1)), ${
          countedAttempts("MIN")
        }, attempts)`
        : ""
    }${tracksOwner ? ", worker = ?4" : ""}
      WHERE id IN (SELECT value FROM json_each(?3)) AND status = '${from}'`,
    JSON.stringify(starting),
    startedAt,
    list,
    ...ownerValues,
  );
}
