/**
 * The data shapes of worker and master requests (docs/protocol.md) and their
 * responses, shared by the daemons, the client and jobctl.
 */

import type { JobOutcome } from "../job.ts";

/** Request type names. */
export const WorkerRequest = {
  Poll: "poll",
  Pause: "pause",
  Continue: "continue",
  Status: "status",
  RunManual: "run-manual",
  SendSignal: "send-signal",
  AddTarget: "add-target",
  RemoveTarget: "remove-target",
  SetTargetConcurrency: "set-target-concurrency",
  Schedules: "schedules",
  ScheduleRun: "schedule-run",
  SchedulePause: "schedule-pause",
  ScheduleResume: "schedule-resume",
} as const;

/** Request type names of the master. */
export const MasterRequest = {
  RegisterWorker: "register-worker",
  Poke: "poke",
  Pause: "pause",
  Continue: "continue",
  Status: "status",
  RunManual: "run-manual",
  SendSignal: "send-signal",
  Schedules: "schedules",
  ScheduleRun: "schedule-run",
  SchedulePause: "schedule-pause",
  ScheduleResume: "schedule-resume",
} as const;

/** `Deno.memoryUsage()` as reported by `status`. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  [key: string]: number;
}

/**
 * Most `delayed` rows a worker counts per target (a cheap, index-only
 * count): a `status` answer's `delayed` of this value means "this many or
 * more", which jobctl shows as `10000+`.
 */
export const DELAYED_COUNT_LIMIT = 10_000;

/** One target of a worker's `status`. */
export interface TargetStatus {
  paused: boolean;
  concurrency: number;
  /** Running plus queued jobs. */
  length: number;
  /**
   * `delayed` rows of the target as the worker last counted them, up to
   * {@linkcode DELAYED_COUNT_LIMIT} (which means "at least that many");
   * present when the table has deferred jobs.
   */
  delayed?: number;
  /** Seconds a job may run (`timeout`), when set. */
  timeout?: number;
  /** `max_attempts`, when retries are on (> 1), with the retry delays and exit codes. */
  maxAttempts?: number;
  retryDelay?: number;
  retryDelayMax?: number;
  retryExitCodes?: number[];
}

/** A worker's `status` response. */
export interface WorkerStatus {
  targets: Record<string, TargetStatus>;
  /** Run-manual jobs being waited for. */
  jobPromisesCount: number;
  memoryUsage: MemoryUsage;
  /** Finished jobs whose result is not yet stored (database unavailable). */
  pendingResultWrites?: number;
}

/** How one job ended, as `run-manual` reports it (src/job.ts). */
export type { JobOutcome } from "../job.ts";

/** `run-manual` response of worker and master: reports and errors by job id. */
export interface RunManualResult {
  jobs?: Record<string, JobOutcome>;
  errors?: Record<string, string>;
}

/** Worker `send-signal` response: whether the signal reached each job. */
export type SendSignalResult = Record<string, boolean>;

/** One worker in the master's `status`. */
export interface WorkerInfo {
  name: string;
  remoteAddr: string;
  remotePort: number;
  targets: string[];
  workerStatus?: WorkerStatus;
  workerStatusError?: string;
}

/** The master's `status` response. */
export interface MasterStatus {
  workers: WorkerInfo[];
  memoryUsage: MemoryUsage;
}

/** A job named to the master: its id and the target that routes it. */
export interface TargetedJob {
  id: number;
  target: string;
}

/** A signal for a job, routed by target. */
export interface TargetedSignal extends TargetedJob {
  signal: number | string;
}

/** Master `send-signal` response: a flat map plus errors for unserved targets. */
export type MasterSendSignalResult = Record<string, boolean | Record<string, string>> & {
  errors?: Record<string, string>;
};

/** The longest schedule name: a board's section name, the key of `jobd_schedules`. */
export const MAX_SCHEDULE_NAME_LENGTH = 64;

/** One schedule in a `schedules` answer. Times are unix seconds, null when none. */
export interface ScheduleInfo {
  name: string;
  target: string;
  /** The rule as text: `cron 0 3 * * * (Europe/Berlin)`, `every 10s`. */
  rule: string;
  enabled: boolean;
  /** Whether the answering worker serves the target (on the master: some worker does). */
  served: boolean;
  nextRunAt: number | null;
  lastRunAt: number | null;
  lastJobId: number | null;
  /** The last job's status and result, as in the jobs table. */
  lastStatus: string | null;
  lastResult: string | null;
  runs: number;
  paused: boolean;
  /** No slot left (max_runs reached, or past stop). */
  finished: boolean;
  /** What keeps it from running, such as a target no worker serves. */
  problem?: string;
  /** On the master: the workers whose board has it. */
  workers?: string[];
}

/** A worker's `schedules` answer: its job board (empty without one). */
export interface SchedulesResult {
  schedules: ScheduleInfo[];
}

/** The master's `schedules` answer: the workers' lists merged, and the workers that failed. */
export interface MasterSchedulesResult extends SchedulesResult {
  errors?: Record<string, string>;
}

/** The `schedule-run` answer: the id of the row inserted. */
export interface ScheduleRunResult {
  id: number;
}
