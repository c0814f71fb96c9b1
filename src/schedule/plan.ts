/**
 * What one firing of a schedule does, decided from its row in
 * `jobd_schedules` and the time alone: which slots get a job row, and where
 * `next_run_at` moves. Pure, so that every worker decides the same and the
 * tests need no clock.
 *
 * @module
 */

import type { FirePlan, ScheduleState } from "../storage/schedule_store.ts";
import type { Schedule } from "./board.ts";

export type { FirePlan, ScheduleState };

/**
 * A slot reached at most this many seconds after its time is on time; an
 * older one was missed (`catchup` decides). A worker fires within 1 s; the
 * margin covers a busy machine.
 */
export const ON_TIME_SECONDS = 2;

/** Most slots one firing walks through; a longer gap jumps to the first slot after now. */
export const MAX_SLOTS_SCANNED = 100_000;

/** Most rows one firing inserts with `catchup = all`. */
export const MAX_CATCHUP_ROWS = 1000;

/** Whether the schedule will never run again (max_runs reached, or past stop). */
export function isFinished(schedule: Schedule, state: ScheduleState): boolean {
  if (schedule.maxRuns !== undefined && state.runs >= schedule.maxRuns) return true;
  return schedule.stop !== undefined && state.nextRunAt > schedule.stop;
}

/** The first `next_run_at` of a schedule new to the table or whose rule changed. */
export function firstSlot(schedule: Schedule, now: number): number {
  // A rule with no slot left (a cron date in the past) is parked after its stop, or far away.
  return schedule.rule.first(now, schedule.start) ?? Math.max(now, schedule.stop ?? 0) + 1e9;
}

/**
 * Plans a firing at `now`: `undefined` when no slot is due. `lastJobOpen`
 * tells whether the schedule's last row is still waiting, accepted,
 * running or delayed for a retry (for `overlap = skip`).
 */
export function planFire(
  schedule: Schedule,
  state: ScheduleState,
  now: number,
  lastJobOpen: boolean,
): FirePlan | undefined {
  if (state.nextRunAt > now || isFinished(schedule, state)) return undefined;
  const { rule, stop } = schedule;
  const due: number[] = [];
  const windowStart = now - schedule.catchupWindow;
  let slot: number | undefined = scanStart(schedule, state, now);
  const gapSkipped = slot !== state.nextRunAt;
  let scanned = 0;
  let cut = false;
  let latest = state.nextRunAt;
  while (slot !== undefined && slot <= now && (stop === undefined || slot <= stop)) {
    latest = slot;
    if (slot >= windowStart) due.push(slot);
    if (due.length > MAX_CATCHUP_ROWS) due.shift();
    if (++scanned >= MAX_SLOTS_SCANNED) {
      // Too many slots even so (a tiny interval in a huge catchup_window): go on after now.
      slot = rule.firstAfter(slot, state.runs, now);
      cut = true;
      break;
    }
    slot = rule.after(slot, state.runs);
  }
  let slots: number[];
  if (state.paused || (schedule.overlap === "skip" && lastJobOpen)) slots = [];
  else if (schedule.catchup === "latest") slots = [latest];
  else if (schedule.catchup === "none") slots = now - latest <= ON_TIME_SECONDS ? [latest] : [];
  else slots = due.includes(latest) ? due : [...due, latest];
  if (schedule.maxRuns !== undefined) slots = slots.slice(0, schedule.maxRuns - state.runs);
  // The interval after the last run grows with the runs (decay).
  const runs = state.runs + slots.length;
  const nextRunAt = (cut ? slot : rule.after(latest, runs)) ?? slot ??
    Math.max(now, stop ?? 0) + 1e9;
  const passed = Math.max(0, scanned - slots.length);
  return gapSkipped ? { slots, nextRunAt, passed, gapSkipped } : { slots, nextRunAt, passed };
}

/**
 * Where a firing starts reading slots: `next_run_at`, or after a long gap
 * (a worker down for days, a schedule every few seconds) a later slot from
 * which the catchup window and the latest slot before now are still read, so
 * that a firing reads a few slots instead of every one of the gap. It looks
 * for a slot within `catchup_window` of now (or of `stop`), then twice as
 * far back, and so on.
 */
function scanStart(schedule: Schedule, state: ScheduleState, now: number): number {
  const { rule } = schedule;
  const end = Math.min(now, schedule.stop ?? now);
  for (let back = schedule.catchupWindow; end - back > state.nextRunAt; back *= 2) {
    const slot = rule.firstAfter(state.nextRunAt, state.runs, end - back - 1);
    if (slot === undefined) break;
    if (slot <= end) return slot;
  }
  return state.nextRunAt;
}
