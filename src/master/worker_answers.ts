/**
 * What the master's HTTP readers (`/metrics` and the status page) learn by
 * asking the workers: the jobs table's counts (one `stats`, routed as a
 * client's is) and the job board's schedules (the merged `schedules`
 * fan-out). One {@linkcode WorkerAnswers} asks for both, shares a request
 * under way and keeps each answer for the readers that accept its age; the
 * readers below check and bound every value, since each came from a peer.
 *
 * @module
 */

import { type Answer, answerWithin } from "../deadline.ts";
import { MAX_SCHEDULE_NAME_LENGTH } from "../protocol/requests.ts";
import { SharedCall } from "../shared_call.ts";
import { isPlainObject } from "../text.ts";
import { controlRouter, type ControlRoutingState } from "./control_routing.ts";
import { listSchedules } from "./schedules.ts";
import { readerLimits, readerTimeout, STATUS_PART_DEADLINE_MS } from "./timeouts.ts";

/** Longest text (a name, a rule, an error) taken from a worker's answer. */
export const MAX_TEXT = 1024;

/** A text from a peer, cut to `max` characters; undefined when not a string. */
export function text(value: unknown, max = MAX_TEXT): string | undefined {
  if (typeof value !== "string") return undefined;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** A count or time from a peer: a non-negative safe integer, else null. */
export function count(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** A peer's object, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

/** One target's rows as `stats` counts them; null where the answer has no count. */
export interface TargetCounts {
  waiting: number | null;
  delayed: number | null;
  manual: number | null;
  accepted: number | null;
  running: number | null;
  /** Rows that finished with result `ok` (or `fail`) in the last hour. */
  okLastHour: number | null;
  failedLastHour: number | null;
  /** Of the failed, those stopped at their time limit. */
  timedOutLastHour: number | null;
  /** `waiting` and `delayed` rows that ran before; null from a table without `attempts`. */
  retrying: number | null;
  /** Seconds the oldest `waiting` row has waited; null when none waits. */
  oldestWaitingAge: number | null;
}

/**
 * The counts of a `stats` answer by target, or undefined when it has no
 * `targets` object. Entries that are not objects, and names longer than
 * {@linkcode MAX_TEXT}, are left out.
 */
export function readTableCounts(answer: unknown): Map<string, TargetCounts> | undefined {
  if (!isPlainObject(answer) || !isPlainObject(answer.targets)) return undefined;
  const counts = new Map<string, TargetCounts>();
  for (const [name, stats] of Object.entries(answer.targets)) {
    if (!isPlainObject(stats) || name.length > MAX_TEXT) continue;
    const lastHour = record(stats.lastHour);
    counts.set(name, {
      waiting: count(stats.waiting),
      delayed: count(stats.delayed),
      manual: count(stats.manual),
      accepted: count(stats.accepted),
      running: count(stats.running),
      okLastHour: count(lastHour.ok),
      failedLastHour: count(lastHour.fail),
      timedOutLastHour: count(record(stats.timedOut).lastHour),
      retrying: count(stats.retrying),
      oldestWaitingAge: count(stats.oldestWaitingAge),
    });
  }
  return counts;
}

/** One schedule of the job board. */
export interface ScheduleRow {
  name: string;
  target: string;
  rule: string;
  nextRunAt: number | null;
  lastRunAt: number | null;
  lastJobId: number | null;
  /** The last job's status and result, as in the jobs table now. */
  lastStatus: string | null;
  lastResult: string | null;
  paused: boolean;
  finished: boolean;
  /** What keeps it from running (no worker serves its target, say). */
  problem?: string;
  /** The workers whose board has it. */
  workers: string[];
}

/** The master's `schedules` answer, read: the schedules by name, and the workers that failed. */
export interface ScheduleList {
  schedules: ScheduleRow[];
  /** One text per worker that did not answer. */
  errors: string[];
}

/** The schedules of a master's `schedules` answer (entries without name or target left out). */
export function readScheduleList(answer: unknown): ScheduleList {
  const list = record(answer).schedules;
  const schedules: ScheduleRow[] = [];
  for (const item of Array.isArray(list) ? list : []) {
    if (!isPlainObject(item)) continue;
    const name = text(item.name, MAX_SCHEDULE_NAME_LENGTH);
    const target = text(item.target);
    if (name === undefined || target === undefined) continue;
    const row: ScheduleRow = {
      name,
      target,
      rule: text(item.rule) ?? "",
      nextRunAt: count(item.nextRunAt),
      lastRunAt: count(item.lastRunAt),
      lastJobId: count(item.lastJobId),
      lastStatus: text(item.lastStatus, 16) ?? null,
      lastResult: text(item.lastResult, 16) ?? null,
      paused: item.paused === true,
      finished: item.finished === true,
      workers: Array.isArray(item.workers)
        ? item.workers.map((worker) => text(worker)).filter((worker) => worker !== undefined)
        : [],
    };
    const problem = text(item.problem);
    if (problem !== undefined) row.problem = problem;
    schedules.push(row);
  }
  const errors = Object.values(record(record(answer).errors)).map((error) => text(error))
    .filter((error) => error !== undefined);
  return { schedules: schedules.sort((a, b) => a.name.localeCompare(b.name)), errors };
}

/** How the answers are asked for: each resolves to the answer as it came. */
export interface WorkerAsks {
  stats(): Promise<unknown>;
  schedules(): Promise<unknown>;
}

/**
 * The workers' `stats` and `schedules` answers, each asked for once at a
 * time, within `deadlineMs`, and kept: a reader gets the request under way,
 * or the last answer when it is young enough for it, or a new request.
 */
export class WorkerAnswers {
  readonly #stats: SharedCall<Answer>;
  readonly #schedules: SharedCall<Answer>;

  constructor(asks: WorkerAsks, deadlineMs = STATUS_PART_DEADLINE_MS) {
    this.#stats = new SharedCall(() => answerWithin(() => asks.stats(), deadlineMs));
    this.#schedules = new SharedCall(() => answerWithin(() => asks.schedules(), deadlineMs));
  }

  /** The `stats` answer, at most `maxAgeMs` old (0: new, or the one under way). */
  stats(maxAgeMs = 0): Promise<Answer> {
    return this.#stats.get(maxAgeMs);
  }

  /** The merged `schedules` answer, at most `maxAgeMs` old. */
  schedules(maxAgeMs = 0): Promise<Answer> {
    return this.#schedules.get(maxAgeMs);
  }

  /** Forgets both answers (after an action, so that the next reader sees its effect). */
  forget(): void {
    this.#stats.forget();
    this.#schedules.forget();
  }
}

/**
 * The answers over the master's own routing: `stats` to one worker (the
 * next when one refuses or does not answer: ask_any.ts), `schedules` from
 * every worker, each worker given {@linkcode readerTimeout} seconds.
 */
export function workerAnswers(state: ControlRoutingState): WorkerAnswers {
  const router = controlRouter(state);
  return new WorkerAnswers({
    stats: () => router.stats(readerLimits(state.settings)),
    schedules: () => listSchedules(state.registry, readerTimeout(state.settings)),
  });
}
