/**
 * Small formatters for jobctl's output: peer text made safe for a terminal,
 * times, memory in human units, a target's paused state, a job's outcome.
 *
 * @module
 */

import type { JobOutcome } from "../protocol/requests.ts";
import { escapeControls, isPlainObject } from "../text.ts";
import type { Cell, Color } from "./table.ts";

/** A confirmation line; the names in it escaped as the daemon's answers are (`\u202e`). */
export function confirmed(text: string): { text: string } {
  return { text: `${escapeControls(text)}\n` };
}

/**
 * A daemon's answer with {@linkcode escapeControls} applied to every string
 * in it, object keys (target names, say) included: what the text renderers
 * get, so that none of them can print a peer's escape sequence.
 */
export function escapeControlsIn(data: unknown): unknown {
  if (typeof data === "string") return escapeControls(data);
  if (Array.isArray(data)) return data.map(escapeControlsIn);
  if (isPlainObject(data)) {
    return Object.fromEntries(
      Object.entries(data).map(([key, value]) => [escapeControls(key), escapeControlsIn(value)]),
    );
  }
  return data;
}

/** Latest unix seconds a date can show (a JavaScript Date's limit, the year 275760). */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * Unix seconds as every human output of jobctl shows a time:
 * `2026-12-02 19:20:01 UTC`; 0 or null as empty (a table shows such a cell
 * as `-`); a value beyond any date (a time in nanoseconds, which an SQLite
 * column holds) as the number.
 */
export function formatTime(seconds: number | null): string {
  if (seconds === null || !(seconds > 0)) return "";
  if (!(seconds <= MAX_DATE_SECONDS)) return String(seconds);
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

const UNITS = ["KiB", "MiB", "GiB", "TiB"];

/**
 * Bytes in binary units with one decimal: `512 B`, `1.5 KiB`, `45.3 MiB`.
 * Values that are not finite non-negative numbers are shown as given.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A target's paused state for the PAUSED column: `yes` (in yellow, so it stands out) or `no`. */
export function pausedCell(paused: boolean): Cell {
  return paused ? { text: "yes", color: "yellow" } : "no";
}

/**
 * How a job ended, in words: `exit code 0`, `killed by SIGTERM`, or both
 * when both are known.
 */
export function describeExit(report: Pick<JobOutcome, "code" | "signal">): string {
  const parts: string[] = [];
  if (report.code !== null && report.code !== undefined) parts.push(`exit code ${report.code}`);
  if (report.signal) parts.push(`killed by ${report.signal}`);
  return parts.length > 0 ? parts.join(", ") : "no exit code";
}

/** The colour of a job's result: `ok` green, anything else red. */
export function resultColor(result: string): Color {
  return result === "ok" ? "green" : "red";
}

export { escapeControls, quoteList } from "../text.ts";
