/**
 * The metric families both daemons export under the same names:
 * `jobd_build_info`, and the job board's schedule times (the worker's own
 * board; on the master, the boards of all its workers merged).
 *
 * @module
 */

import { VERSION } from "../version.ts";
import type { Gauge, MetricsRegistry } from "./registry.ts";

/** Registers `jobd_build_info` (always 1, the version in its label). */
export function registerBuildInfo(registry: MetricsRegistry): void {
  registry.gauge("jobd_build_info", "Always 1; the version of jobd in its label", ["version"])
    .set({ version: VERSION }, 1);
}

/** One schedule's times, unix seconds; undefined when it has none. */
export interface ScheduleTimes {
  readonly name: string;
  readonly target: string;
  readonly nextRunAt: number | undefined;
  readonly lastRunAt: number | undefined;
}

/** `jobd_schedule_next_run_timestamp_seconds` and `..._last_run_...`, per schedule and target. */
export class ScheduleGauges {
  readonly #nextRun: Gauge<"schedule" | "target">;
  readonly #lastRun: Gauge<"schedule" | "target">;

  constructor(registry: MetricsRegistry) {
    this.#nextRun = registry.gauge(
      "jobd_schedule_next_run_timestamp_seconds",
      "When the schedule's next slot is due, unix seconds (job board)",
      ["schedule", "target"],
    );
    this.#lastRun = registry.gauge(
      "jobd_schedule_last_run_timestamp_seconds",
      "When the schedule last inserted a job, unix seconds (job board)",
      ["schedule", "target"],
    );
  }

  /** Replaces every series with those of `schedules`. */
  show(schedules: Iterable<ScheduleTimes>): void {
    this.#nextRun.reset();
    this.#lastRun.reset();
    for (const schedule of schedules) {
      const labels = { schedule: schedule.name, target: schedule.target };
      if (schedule.nextRunAt !== undefined) this.#nextRun.set(labels, schedule.nextRunAt);
      if (schedule.lastRunAt !== undefined) this.#lastRun.set(labels, schedule.lastRunAt);
    }
  }
}
