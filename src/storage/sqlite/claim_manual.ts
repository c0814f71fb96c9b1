/** manual -> accepted | running | ignored: the claim of a run-manual request. */

import type { ManualClaim } from "../job_store.ts";
import { judgeManualRows, type ManualRow } from "../manual_claim_outcome.ts";
import type { SqliteContext } from "./context.ts";
import { attachRowValues } from "./read_row_values.ts";
import { markStarting } from "../start_now.ts";
import { claimUpdate } from "./claim_waiting.ts";

/**
 * Claims the rows `ids` in one `BEGIN IMMEDIATE` transaction. `manual` rows
 * of a served target become `accepted` (owner recorded when tracked);
 * `manual` rows of another target become `ignored` with the error
 * `target 'T' not found (job id=N)`; ids without a row get `job N not found`;
 * rows in another status are left as they are and get
 * `status = S != manual`; rows of another target than `expectedTargets`
 * names for their id are left as they are too (the error of
 * `judgeManualRows`). Duplicate ids count once. The first `startNow`
 * rows of a served target go to `running` instead, with `time_started` =
 * `startedAt` and the attempt counted, by the background claim's UPDATE
 * (`claimUpdate`); the per-row values are read before it.
 */
export function claimManual(
  context: SqliteContext,
  ids: readonly number[],
  servedTargets: ReadonlySet<string>,
  startNow: ReadonlyMap<string, number>,
  startedAt: number,
  expectedTargets: ReadonlyMap<number, string>,
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
    const { claimed, ignored, errors } = judgeManualRows(
      unique,
      found,
      servedTargets,
      expectedTargets,
    );
    const jobs = attachRowValues(context, claimed);
    const starting = markStarting(jobs, startNow, startedAt);
    const claimedIds = jobs.map((job) => job.id);
    if (claimedIds.length > 0) {
      checkChanged(
        claimedIds.length,
        claimUpdate(context, claimedIds, starting, startedAt, "manual"),
      );
    }
    if (ignored.length > 0) {
      checkChanged(
        ignored.length,
        connection.run(
          `UPDATE ${table} SET status = 'ignored'
            WHERE id IN (SELECT value FROM json_each(?)) AND status = 'manual'`,
          JSON.stringify(ignored),
        ),
      );
    }
    return { claimed: jobs, errors };
  });
}

function checkChanged(read: number, changed: number): void {
  if (changed !== read) {
    // The write lock makes this impossible; if it happens, claim nothing.
    throw new Error(`${read} manual rows read but ${changed} updated`);
  }
}
