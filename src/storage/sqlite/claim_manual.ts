/** manual -> accepted | ignored: the claim of a run-manual request. */

import type { ManualClaim } from "../job_store.ts";
import { judgeManualRows, type ManualRow } from "../manual_claim_outcome.ts";
import type { SqliteConnection } from "./connection.ts";
import type { SqliteContext } from "./context.ts";
import { attachRowValues } from "./read_row_values.ts";

/**
 * Claims the rows `ids` in one `BEGIN IMMEDIATE` transaction. `manual` rows
 * of a served target become `accepted` (owner recorded when tracked);
 * `manual` rows of another target become `ignored` with the error
 * `target 'T' not found (job id=N)`; ids without a row get `job N not found`;
 * rows in another status are left as they are and get
 * `status = S != manual`. Duplicate ids count once.
 */
export function claimManual(
  context: SqliteContext,
  ids: readonly number[],
  servedTargets: ReadonlySet<string>,
): ManualClaim {
  const { connection, table } = context;
  const unique = [...new Set(ids)];
  return connection.immediate(() => {
    const rows = connection.all(
      `SELECT id, target, status FROM ${table}
        WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      JSON.stringify(unique),
    );
    const found = new Map<number, ManualRow>();
    for (const row of rows) {
      found.set(Number(row.id), { target: String(row.target), status: String(row.status) });
    }
    const { claimed, ignored, errors } = judgeManualRows(unique, found, servedTargets);
    const owner = context.tracksOwner ? context.workerName : undefined;
    setManualRows(connection, table, claimed.map((job) => job.id), "accepted", owner);
    setManualRows(connection, table, ignored, "ignored", undefined);
    return { claimed: attachRowValues(context, claimed), errors };
  });
}

function setManualRows(
  connection: SqliteConnection,
  table: string,
  ids: number[],
  status: "accepted" | "ignored",
  owner: string | undefined,
): void {
  if (ids.length === 0) return;
  const list = JSON.stringify(ids);
  const where = "WHERE id IN (SELECT value FROM json_each(?)) AND status = 'manual'";
  const changed = owner === undefined
    ? connection.run(`UPDATE ${table} SET status = ? ${where}`, status, list)
    : connection.run(`UPDATE ${table} SET status = ?, worker = ? ${where}`, status, owner, list);
  if (changed !== ids.length) {
    // The write lock makes this impossible; if it happens, claim nothing.
    throw new Error(`${ids.length} manual rows read but ${changed} updated`);
  }
}
