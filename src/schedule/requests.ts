/**
 * The job board's requests (SPEC D1): their names, the shape of their
 * answers, and the worker's handlers for them. The master routes them with
 * `src/master/schedules.ts`; jobctl sends them with `src/jobctl/schedule_commands.ts`.
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import type { RequestData } from "../protocol/messages.ts";
import { jsonTypeName } from "../text.ts";

/** Request type names, the same on the worker and the master. */
export const ScheduleRequest = {
  List: "schedules",
  Run: "schedule-run",
  Pause: "schedule-pause",
  Resume: "schedule-resume",
} as const;

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

/** The `schedules` answer. */
export interface SchedulesResult {
  schedules: ScheduleInfo[];
}

/** The `schedule-run` answer: the id of the row inserted. */
export interface ScheduleRunResult {
  id: number;
}

/** Reads the `name` field of a schedule request. */
export function readScheduleName(data: RequestData): string {
  const name = data.name;
  if (name === undefined || name === null) throw new RequestError("missing required field name");
  if (typeof name !== "string") {
    throw new RequestError(`'name' must be string, ${jsonTypeName(name)} given`);
  }
  if (name === "" || name.length > 64) {
    throw new RequestError(`'name' must be a schedule name of 1 to 64 characters`);
  }
  return name;
}

/** What the handlers need of the worker's board. */
export interface BoardRequests {
  list(): Promise<ScheduleInfo[]>;
  run(name: string): Promise<ScheduleRunResult>;
  setPaused(name: string, paused: boolean): Promise<string>;
}

/** The worker's handlers of the board's requests (the board may be absent: no schedules). */
export function scheduleHandlers(board: () => BoardRequests | undefined): Handlers {
  const the = () => {
    const current = board();
    if (current === undefined) {
      throw new RequestError("this worker has no job board (config key 'schedules')");
    }
    return current;
  };
  return {
    [ScheduleRequest.List]: async () => ({ schedules: await board()?.list() ?? [] }),
    [ScheduleRequest.Run]: (data) => the().run(readScheduleName(data)),
    [ScheduleRequest.Pause]: (data) => the().setPaused(readScheduleName(data), true),
    [ScheduleRequest.Resume]: (data) => the().setPaused(readScheduleName(data), false),
  };
}
