/** waiting -> accepted: the claim of a poll. */

import type { ClaimedJob } from "../../job.ts";
import type { SqliteContext } from "./context.ts";
import { attachRowValues } from "./read_row_values.ts";

/** The read of a claim for one target: `?` = target, limit. `table` is quoted already. */
export function claimSelectSql(table: string): string {
  return `SELECT id FROM ${table} WHERE status = 'waiting' AND target = ? ORDER BY id LIMIT ?`;
}

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one `BEGIN IMMEDIATE` transaction: the write lock is
 * held from the reads to the update, so two connections (two workers, or two
 * stores in one process) never claim the same row. Records the owner when
 * tracked. The jobs carry their target as requested, in the order of
 * `limits`, then by id.
 */
export function claimWaiting(
  context: SqliteContext,
  limits: ReadonlyMap<string, number>,
): ClaimedJob[] {
  const { connection, table, tracksOwner, workerName } = context;
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
    const jobs = [...claimed.values()];
    if (jobs.length === 0) return [];
    const ids = jobs.map((job) => job.id);
    const list = JSON.stringify(ids);
    const changed = tracksOwner
      ? connection.run(
        `UPDATE ${table} SET status = 'accepted', worker = ?
          WHERE id IN (SELECT value FROM json_each(?)) AND status = 'waiting'`,
        workerName,
        list,
      )
      : connection.run(
        `UPDATE ${table} SET status = 'accepted'
          WHERE id IN (SELECT value FROM json_each(?)) AND status = 'waiting'`,
        list,
      );
    if (changed !== ids.length) {
      // The write lock makes this impossible; if it happens, claim nothing.
      throw new Error(`${ids.length} waiting rows read but ${changed} updated`);
    }
    return attachRowValues(context, jobs);
  });
}
