/**
 * The time columns of jobctl's targets table: `DELAYED | TIMEOUT | RETRIES`,
 * shown only when some target reports them (a worker with the time features
 * of issue #17), so that older workers' tables stay as they were.
 *
 * @module
 */

import { DELAYED_COUNT_LIMIT, type TargetStatus } from "../protocol/requests.ts";
import type { Cell, Column } from "./table.ts";

/** The extra columns for these targets, and each target's cells (none when no target has any). */
export function timeColumns(
  targets: Readonly<Record<string, TargetStatus>>,
): { columns: Column[]; cells(target: TargetStatus): Cell[] } {
  const all = Object.values(targets);
  const columns: Column[] = [];
  const parts: ((target: TargetStatus) => Cell)[] = [];
  if (all.some((target) => target.delayed !== undefined)) {
    columns.push({ heading: "delayed", align: "right" });
    parts.push((target) => describeDelayed(target.delayed));
  }
  if (all.some((target) => target.timeout !== undefined || target.maxAttempts !== undefined)) {
    columns.push({ heading: "timeout" }, { heading: "retries" });
    parts.push((target) => target.timeout === undefined ? "none" : `${target.timeout} s`);
    parts.push(describeRetries);
  }
  return { columns, cells: (target) => parts.map((part) => part(target)) };
}

/**
 * A worker's count of delayed rows: the count stops at
 * `DELAYED_COUNT_LIMIT`, so that many reads `10000+`.
 */
export function describeDelayed(count: number | undefined): Cell {
  if (count === undefined) return "";
  return count >= DELAYED_COUNT_LIMIT ? `${DELAYED_COUNT_LIMIT}+` : count;
}

/** `3 attempts, 10-3600 s apart, codes 75 111`, or `none`. */
export function describeRetries(target: TargetStatus): string {
  if (target.maxAttempts === undefined) return "none";
  const delays = target.retryDelay === undefined
    ? ""
    : `, ${target.retryDelay}-${target.retryDelayMax ?? target.retryDelay} s apart`;
  const codes = target.retryExitCodes ? `, codes ${target.retryExitCodes.join(" ")}` : "";
  return `${target.maxAttempts} attempts${delays}${codes}`;
}
