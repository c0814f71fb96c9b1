/**
 * A job as jobd sees it: the statuses of its row, a claimed job, and how a
 * job ended. A leaf every layer may use: the storage writes these, the worker
 * moves jobs through them, the protocol answers `run-manual` with
 * {@linkcode JobOutcome}. The transitions are drawn in ARCHITECTURE.md ("The
 * life of a job").
 *
 * @module
 */

/**
 * Every status of a row in the jobs table (README.md, "The jobs table"), with who sets it, what
 * moves it on, and how start-up recovery treats it. Recovery acts only on
 * rows this worker owns (the optional `worker` column); without that column
 * it is off.
 */
export const JOB_STATUSES = {
  /**
   * A background job to run. Set by the application that inserts the row,
   * and by jobd when it releases an unstarted job claimed from here (a
   * shutdown, a target removed, jobs claimed ahead that stopped starting,
   * recovery). Moved on by a worker's claim (`claimWaiting`, after a `poll`)
   * to `accepted`. Recovery: untouched (no worker owns it).
   */
  waiting: "waiting",
  /**
   * A job that runs only on request. Set by the application, and by jobd
   * when it releases an unstarted run-manual job. Moved on by `run-manual`
   * (`claimManual`): when the worker serves its target, to `running` if a
   * slot is free for it now (it starts at once), otherwise to `accepted`;
   * to `ignored` when it does not. Recovery: untouched.
   */
  manual: "manual",
  /**
   * Claimed by a worker (which writes its name to `worker`) and queued there,
   * not started yet. Set by a claim. Moved on by the running mark
   * (`markRunning`) to `running` when the job starts, or released back to
   * where it was claimed from (`waiting` or `manual`). Recovery: released to
   * `waiting` (the claim's origin is not stored in the table).
   */
  accepted: "accepted",
  /**
   * The launcher is running, or about to start. Set by the running mark, or
   * by the claim itself (a poll's or a run-manual's) for a job that starts
   * at once, with `time_started`, before the process is spawned. Moved on by
   * the result write (`markDone`) to `done`, or to `delayed` for a retry (a
   * failed attempt with attempts left), or released back to where it was
   * claimed from, with the attempt its mark counted, when its process never
   * started: the worker stopped while it retried a start that failed for a
   * reason that may pass (too many open files), or before a job its claim
   * marked could start (shutdown, target removed, a claim in doubt). Recovery: ended as `done` with result `fail` and a note in
   * `stderr` (never run twice behind the user's back); with
   * `recover_running = requeue`, released to `waiting` instead.
   */
  running: "running",
  /**
   * Ended: `result`, `return_code`, `sig`, `stdout`, `stderr` and
   * `time_finished` are written. Set by the result write, or by recovery.
   * Final: the worker never changes it again (an operator's `retry` puts it
   * back to `waiting`). Recovery: untouched.
   */
  done: "done",
  /**
   * A run-manual request named it but no worker it reached serves its
   * target. Set by `claimManual`. Final (an operator's `retry` puts it back
   * to `waiting`). Recovery: untouched.
   */
  ignored: "ignored",
  /**
   * Waits for its `time_run_at` (unix seconds): a deferred job, or a failed
   * job waiting for its next attempt. Set by the application (with the
   * optional time columns), by the result write of a failed attempt with
   * attempts left (`markDone` with `retryAt`, keeping that attempt's result),
   * and by recovery for a running job with attempts left. Moved on, once
   * due, by a worker's promotion (`promoteDelayed`) to `waiting`. Older
   * workers never claim it. Recovery: untouched.
   */
  delayed: "delayed",
} as const;

/** The status of a row in the jobs table; each is documented at {@linkcode JOB_STATUSES}. */
export type JobStatus = typeof JOB_STATUSES[keyof typeof JOB_STATUSES];

/** The status a claimed row came from, and goes back to if it is released unstarted. */
export type ClaimOrigin = "waiting" | "manual";

/**
 * A row claimed by this worker (`accepted`), queued on its target until it
 * starts; or, with `running`, marked `running` by the claim itself (a job
 * that starts at once, without a running mark of its own).
 */
export interface ClaimedJob {
  id: number;
  target: string;
  origin: ClaimOrigin;
  /** The claim set the row `running` (`time_started`, attempt counted): it starts at once. */
  running?: true;
  /**
   * The `time_started` its running mark wrote (the claim's or the runner's):
   * a release of the row from `running` matches it, so that a release tried
   * again after another worker marked the row leaves that row alone.
   */
  startedAt?: number;
  /** The row's `timeout`, `attempts`, `max_attempts`, for the optional columns the table has. */
  row?: RowTimeValues;
}

/**
 * The values of a row's optional time columns, as read (unchecked: the
 * worker checks them, `src/worker/time_policy.ts`). Absent when the table
 * lacks the column.
 */
export interface RowTimeValues {
  /** `timeout`: NULL = the config's, 0 = no limit. */
  readonly timeout?: unknown;
  /** `attempts`: starts so far (before this one, in a claim, even one that marked it `running`). */
  readonly attempts?: unknown;
  /** `max_attempts`: NULL = the config's. */
  readonly maxAttempts?: unknown;
}

/**
 * How a job ended: written to its row by the result write, and sent as is
 * to the `run-manual` caller (docs/protocol.md, "Worker requests").
 */
export interface JobOutcome {
  /** `ok` when the launcher exited with code 0, otherwise `fail`. */
  result: "ok" | "fail";
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  /** Signal name such as `SIGKILL`, or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * How the line begins that ends the stderr of a job stopped at its time
 * limit: `[jobd: timed out after 600 s]` (src/worker/job_timeout.ts writes
 * it, `stats` counts the rows that end with it).
 */
export const TIMED_OUT_NOTE_START = "[jobd: timed out after ";
