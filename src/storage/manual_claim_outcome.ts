/**
 * The verdict of a run-manual claim on each requested id, whatever the
 * database: which rows to accept, which to ignore, and the error texts of
 * docs/protocol.md ("Worker requests") for the rest.
 */

import type { ClaimedJob } from "../job.ts";
import type { ManualClaim } from "./job_store.ts";
import { quoteTargetName } from "../target_names.ts";

/**
 * Most characters of a row's status quoted in an error: any status jobd
 * knows is far shorter, and a column of the application's may hold anything.
 */
export const MAX_QUOTED_STATUS = 40;

/** A row's status for an error text, cut with `…` past {@linkcode MAX_QUOTED_STATUS}. */
function boundedStatus(status: string): string {
  const chars = [...status];
  return chars.length <= MAX_QUOTED_STATUS
    ? status
    : `${chars.slice(0, MAX_QUOTED_STATUS).join("")}…`;
}

/** A row as read (and locked) for the claim. */
export interface ManualRow {
  readonly target: string;
  readonly status: string;
}

/** What a manual claim does to the rows it read. */
export interface ManualClaimOutcome extends ManualClaim {
  /** `manual` rows of a served target, to set `accepted`: in id order. */
  claimed: ClaimedJob[];
  /** `manual` rows of a target not served here, to set `ignored`. */
  ignored: number[];
}

/**
 * Judges each of `ids` (each once) by its row in `found`: a missing row is
 * `job N not found`; a row whose target is not the one `expectedTargets`
 * gives for its id (the caller named the job's target, as the master's
 * run-manual does) is `job N belongs to target 'T', not 'E'` and left as it
 * is, whatever its status; a row in another status than `manual` is
 * `status = S != manual` and left as it is; a `manual` row of a target not in
 * `servedTargets` is ignored with `target 'T' not found (job id=N)`; the
 * others are claimed. The row's values in these texts are bounded (the
 * target as `quoteTargetName` cuts it, the status to `MAX_QUOTED_STATUS`
 * characters): they are the application's, and go back to the caller.
 */
export function judgeManualRows(
  ids: readonly number[],
  found: ReadonlyMap<number, ManualRow>,
  servedTargets: ReadonlySet<string>,
  expectedTargets: ReadonlyMap<number, string> = new Map(),
): ManualClaimOutcome {
  const claimed: ClaimedJob[] = [];
  const ignored: number[] = [];
  const errors = new Map<number, string>();
  for (const id of ids) {
    const row = found.get(id);
    const expected = expectedTargets.get(id);
    if (row === undefined) {
      errors.set(id, `job ${id} not found`);
    } else if (expected !== undefined && row.target !== expected) {
      errors.set(
        id,
        `job ${id} belongs to target ${quoteTargetName(row.target)}, not ${
          quoteTargetName(expected)
        }`,
      );
    } else if (row.status !== "manual") {
      errors.set(id, `status = ${boundedStatus(row.status)} != manual`);
    } else if (!servedTargets.has(row.target)) {
      ignored.push(id);
      errors.set(id, `target ${quoteTargetName(row.target)} not found (job id=${id})`);
    } else {
      claimed.push({ id, target: row.target, origin: "manual" });
    }
  }
  claimed.sort((a, b) => a.id - b.id);
  return { claimed, ignored, errors };
}
