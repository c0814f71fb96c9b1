/**
 * The worker's handlers of the job board's requests (docs/protocol.md,
 * "Job board requests"): `schedules`, `schedule-run`, `schedule-pause`,
 * `schedule-resume`. Their names and answers live with the other requests
 * (`src/protocol/requests.ts`), the check of their data in
 * `src/protocol/validate.ts`; the master routes them with
 * `src/master/schedules.ts`, jobctl sends them with
 * `src/jobctl/schedule_commands.ts`.
 *
 * @module
 */

import { RequestError } from "../net/errors.ts";
import type { Handlers } from "../net/server.ts";
import {
  type ScheduleInfo,
  type ScheduleRunResult,
  type SchedulesResult,
  WorkerRequest,
} from "../protocol/requests.ts";
import { readScheduleName } from "../protocol/validate.ts";

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
    [WorkerRequest.Schedules]: async (): Promise<SchedulesResult> => ({
      schedules: await board()?.list() ?? [],
    }),
    [WorkerRequest.ScheduleRun]: (data) => the().run(readScheduleName(data)),
    [WorkerRequest.SchedulePause]: (data) => the().setPaused(readScheduleName(data), true),
    [WorkerRequest.ScheduleResume]: (data) => the().setPaused(readScheduleName(data), false),
  };
}
