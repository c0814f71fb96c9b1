/** waiting -> accepted: the claim of a poll. */

import type { ClaimedJob } from "../job_store.ts";
import type { SqliteContext } from "./context.ts";

/**
 * Claims, for each target of `limits`, up to its limit of `waiting` rows,
 * lowest id first, in one `BEGIN IMMEDIATE` transaction: the write lock is
 * held from the reads to the update, so two connections (two workers, or two
 * stores in one process) never claim the same row. Records the owner when
 * tracked. The jobs carry their target as requested.
 */
export function claimWaiting(
  context: SqliteContext,
  limits: ReadonlyMap<string, number>,
): ClaimedJob[] {
  const { connection, table, tracksOwner, workerName } = context;
  return connection.immediate(() => {
    const jobs = [...limits].flatMap(([target, limit]) =>
      connection.all(
        `SELECT id FROM ${table} WHERE status = 'waiting' AND target = ? ORDER BY id LIMIT ?`,
        target,
        limit,
      ).map((row): ClaimedJob => ({ id: Number(row.id), target, origin: "waiting" }))
    );
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
    return jobs;
  });
}
