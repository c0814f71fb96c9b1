/**
 * The line that says how a job ended, pure: every job's "ended" line names
 * its target and how long it ran; a failed job's (non-zero exit, signal,
 * time limit, a launcher that could not start) is a warning and says which.
 *
 * @module
 */

import type { JobOutcome } from "../job.ts";
import { formatLength } from "../outage.ts";

/** What is known of an ended job beyond its outcome. */
export interface JobEnd {
  readonly id: number;
  readonly target: string;
  readonly outcome: JobOutcome;
  /** How long it ran, ms (from its start to the end of its process). */
  readonly ms: number;
  /** The time limit, seconds, when it was stopped for reaching it. */
  readonly timedOutAfter?: number;
}

/** A line to log: its level, template and values. */
export interface JobEndLine {
  readonly level: "info" | "warn";
  readonly message: string;
  readonly properties: Record<string, unknown>;
}

/** A job's run time for a line: `350 ms`, `1.2 s`, `3 min 5 s`. */
export function formatRunTime(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  return formatLength(ms);
}

/** How it ended, in words: `exit code 3`, `killed by SIGKILL`, `timed out after 5 s (SIGTERM)`. */
function how(end: JobEnd): string {
  const { outcome } = end;
  if (outcome.code === null && outcome.signal === null) {
    // Neither an exit code nor a signal: the launcher never ran (launcher.ts).
    const reason = outcome.stderr.trim().split("\n").at(-1) ?? "";
    return `not started${reason === "" ? "" : `: ${reason}`}`;
  }
  if (end.timedOutAfter !== undefined) {
    return `timed out after ${end.timedOutAfter} s (${outcome.signal ?? "exited"})`;
  }
  if (outcome.signal !== null) return `killed by ${outcome.signal}`;
  return `exit code ${outcome.code}`;
}

/**
 * The log level of a job's "ended" line, as LogTape names it: info when it
 * succeeded, a warning when it failed. Known before the line is built, so
 * that a worker whose log shows neither builds none.
 */
export function jobEndLevel(outcome: JobOutcome): "info" | "warning" {
  return outcome.result === "ok" ? "info" : "warning";
}

/** The "ended" line of a job: info when it succeeded, a warning when it failed. */
export function jobEndLine(end: JobEnd): JobEndLine {
  const { outcome } = end;
  return {
    level: outcome.result === "ok" ? "info" : "warn",
    message: "Job {id} of {target} ended: {result}, {how}, after {duration}",
    properties: {
      id: end.id,
      target: end.target,
      result: outcome.result,
      how: how(end),
      duration: formatRunTime(end.ms),
      durationMs: Math.round(end.ms),
      code: outcome.code,
      signal: outcome.signal,
    },
  };
}
