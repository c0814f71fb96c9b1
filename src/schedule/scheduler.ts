/**
 * The timer of the job board: sleeps until the earliest due slot of the
 * schedules this worker runs (no polling), then fires each due schedule in
 * its own transaction (`ScheduleStore.fire`), and tells the worker which
 * targets got rows so that they are claimed at once.
 *
 * A firing that fails because the database is away or busy is tried again
 * every few seconds, so that a short outage delays a slot instead of losing
 * it (`catchup` decides about a slot run late). One that fails for another
 * reason (a `set.` value the column refuses) is logged with the schedule's
 * name and tried again at the schedule's next slot, never sooner: the
 * missed slot is then handled by `catchup` like downtime. A schedule's
 * failures in a row are one line (again when the reason changes; the others
 * at debug) and one warning when it inserts again, not a line per attempt.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { isTransientStorageError } from "../storage/errors.ts";
import type { ScheduleStore } from "../storage/schedule_store.ts";
import { FailureRun, formatLength } from "../outage.ts";
import { messageOf } from "../text.ts";
import type { Schedule } from "./board.ts";
import { firstSlot, isFinished, planFire, type ScheduleState } from "./plan.ts";

const log = getLogger(["jobd", "worker", "schedules"]);

/**
 * Seconds before a schedule whose row could not be read or made, or whose
 * firing met the database away, is tried again.
 */
export const PREPARE_RETRY_SECONDS = 5;

/**
 * Seconds between looks at a row that follows another board's rule (it is
 * read, never reset, until this worker's board is loaded again).
 */
export const OTHER_RULE_RECHECK_SECONDS = 60;

/**
 * Longest single sleep of the timer, ms: it looks at the clock again at
 * least this often. A timer runs on the monotonic clock, which a clock step
 * (NTP correcting a host that booted with a wrong time) moves no further and
 * a suspended host (a paused VM) does not advance: a longer sleep would fire
 * a slot that late. A look without a due slot reads no table.
 */
export const MAX_SLEEP_MS = 60_000;

/** What the scheduler works with. */
export interface SchedulerOptions {
  store: ScheduleStore;
  /** Whether this worker serves `target` now. */
  serves(target: string): boolean;
  /** Rows were inserted for `target`: claim them. */
  onInserted(target: string): void;
  /** The clock, ms (tests). */
  now?: () => number;
  /** The longest sleep, ms (tests; default {@linkcode MAX_SLEEP_MS}). */
  maxSleepMs?: number;
}

/** Fires the due slots of the schedules this worker runs. */
export class Scheduler {
  readonly #options: SchedulerOptions;
  #schedules: readonly Schedule[] = [];
  /** Rows as last seen, by schedule name. */
  readonly #states = new Map<string, ScheduleState>();
  /** Not before (unix seconds), after a failure. */
  readonly #retryAt = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tick: Promise<void> = Promise.resolve();
  /** A look at every schedule is chained on `#tick` and has not begun. */
  #lookQueued = false;
  #stopped = false;
  /** Schedules whose row may still be reset to this board's rule: once per board load. */
  #mayReset = new Set<string>();
  /** Schedules whose rows cannot be read or inserted now: their runs of failures. */
  readonly #failing = new Map<string, FailureRun>();
  /** Schedules whose row follows another board's rule (warned once per load). */
  readonly #otherRule = new Set<string>();

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /**
   * Runs `schedules` from now on (a reloaded board replaces the old one).
   * Each row is read again, and a row made for another rule is reset to
   * this board's rule once, here at the load: two workers whose boards
   * disagree leave the row to the board loaded last instead of resetting it
   * in turn at every slot.
   */
  setSchedules(schedules: readonly Schedule[]): void {
    this.#schedules = schedules;
    const names = new Set(schedules.map((schedule) => schedule.name));
    this.#states.clear();
    this.#mayReset = new Set(names);
    for (const name of [...this.#retryAt.keys()]) {
      if (!names.has(name) || this.#otherRule.has(name)) this.#retryAt.delete(name);
    }
    for (const name of [...this.#failing.keys()]) {
      if (!names.has(name)) this.#failing.delete(name);
    }
    this.#otherRule.clear();
    this.wake();
  }

  /** The schedules this worker fires: enabled, and of a target it serves. */
  get active(): Schedule[] {
    return this.#schedules.filter((schedule) =>
      schedule.enabled && this.#options.serves(schedule.target)
    );
  }

  /** The row of `name` as last seen. */
  state(name: string): ScheduleState | undefined {
    return this.#states.get(name);
  }

  /** Records a row read or changed elsewhere (a request), and re-arms the timer. */
  remember(state: ScheduleState): void {
    this.#states.set(state.name, state);
    this.wake();
  }

  /** Looks at every schedule now (targets changed, a board loaded). */
  wake(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A look not begun yet sees this wake's change too: a reload's thousands
    // of target changes make one look, not one each over every schedule.
    if (this.#lookQueued) return;
    this.#lookQueued = true;
    this.#tick = this.#tick.then(() => {
      this.#lookQueued = false;
      return this.#run();
    }).catch((error) => {
      // A bug, not a database error (those are caught per schedule): look again a bit later.
      log.error("The job board's timer failed: {error}", { error: messageOf(error) });
      if (!this.#stopped) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.wake(), PREPARE_RETRY_SECONDS * 1000);
      }
    });
  }

  /** Resolves once the firings started so far are done (tests). */
  async settled(): Promise<void> {
    let tick;
    do {
      tick = this.#tick;
      await tick;
    } while (tick !== this.#tick);
  }

  /** Stops the timer and waits for a firing in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  #nowSeconds(): number {
    return Math.floor((this.#options.now?.() ?? Date.now()) / 1000);
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    for (const schedule of this.active) {
      if (this.#stopped) return;
      const now = this.#nowSeconds();
      if ((this.#retryAt.get(schedule.name) ?? 0) > now) continue;
      let state = this.#states.get(schedule.name);
      // A row seen for the board before a reload is read again for this one.
      if (state === undefined || state.ruleHash !== schedule.rule.hash) {
        state = await this.#prepare(schedule, now);
        if (state === undefined) continue;
      }
      if (state.nextRunAt <= now && !isFinished(schedule, state)) {
        await this.#fire(schedule, state, now);
      }
    }
    this.#arm();
  }

  async #prepare(schedule: Schedule, now: number): Promise<ScheduleState | undefined> {
    const { name } = schedule;
    try {
      const state = await this.#options.store.ensure(
        name,
        schedule.rule.hash,
        firstSlot(schedule, now),
        this.#mayReset.has(name),
      );
      this.#mayReset.delete(name);
      this.#logRecovery(name, "reads its row again");
      if (state.ruleHash !== schedule.rule.hash) {
        this.#followOtherRule(name, now);
        return undefined;
      }
      if (this.#otherRule.delete(name)) {
        log.info("Schedule {name}: its row follows this board's rule again", { name });
      }
      this.#states.set(name, state);
      return state;
    } catch (error) {
      this.#retryAt.set(name, now + PREPARE_RETRY_SECONDS);
      this.#logFailure(
        name,
        isTransientStorageError(error),
        "cannot read or create its row",
        messageOf(error),
        `trying again every ${PREPARE_RETRY_SECONDS} s`,
      );
      return undefined;
    }
  }

  /**
   * The row was reset to another rule by a worker that loaded its board
   * after this one: leave it alone (no reset until this board is loaded
   * again), and look again now and then in case the boards come to agree.
   */
  #followOtherRule(name: string, now: number): void {
    this.#states.delete(name);
    this.#retryAt.set(name, now + OTHER_RULE_RECHECK_SECONDS);
    if (this.#otherRule.has(name)) return;
    this.#otherRule.add(name);
    log.warn(
      "Schedule {name}: its row follows another rule, from a board loaded after this one " +
        "(another worker's); this worker does not run it until its board is loaded again " +
        "or the two rules agree",
      { name },
    );
  }

  async #fire(schedule: Schedule, state: ScheduleState, now: number): Promise<void> {
    const { name, target } = schedule;
    try {
      const fired = await this.#options.store.fire(
        name,
        schedule.rule.hash,
        { target, set: schedule.set, createdAt: now },
        (locked, lastJobOpen) => planFire(schedule, locked, now, lastJobOpen),
      );
      this.#retryAt.delete(name);
      this.#logRecovery(name, "inserts its job rows again");
      if (fired.state.ruleHash !== schedule.rule.hash) {
        this.#followOtherRule(name, now);
        return;
      }
      this.#states.set(name, fired.state);
      const passed = fired.plan?.passed ?? 0;
      if (fired.jobIds.length > 0) {
        log.info("Schedule {name}: inserted job {ids} for target {target}", {
          name,
          ids: fired.jobIds.join(", "),
          target,
        });
        this.#options.onInserted(target);
      }
      if (passed > 0 || fired.plan?.gapSkipped) {
        log.info("Schedule {name}: {passed} slot(s) passed without a run ({why})", {
          name,
          passed: fired.plan?.gapSkipped ? `${passed} or more` : passed,
          why: fired.state.paused ? "paused" : "missed, overlapping or past max_runs",
        });
      }
    } catch (error) {
      const transient = isTransientStorageError(error);
      // The database away or busy: the slot is still due once it is back.
      const next = transient
        ? now + PREPARE_RETRY_SECONDS
        : Math.max(planFire(schedule, state, now, false)?.nextRunAt ?? now + 1, now + 1);
      this.#retryAt.set(name, next);
      this.#logFailure(
        name,
        transient,
        `cannot insert its job row for target ${target}`,
        messageOf(error),
        transient
          ? `trying again every ${PREPARE_RETRY_SECONDS} s`
          : `trying again at its next slot (${new Date(next * 1000).toISOString()})`,
      );
    }
  }

  /**
   * Logs a failure of schedule `name`: the first of a run, or one with a new
   * reason, as a warning (the database away or busy: `transient`) or an
   * error; the same again at debug. Its end: `#logRecovery`.
   */
  #logFailure(name: string, transient: boolean, what: string, reason: string, then: string): void {
    const failing = this.#failing.get(name) ?? new FailureRun();
    this.#failing.set(name, failing);
    const level = failing.failed(reason) ? (transient ? "warn" : "error") : "debug";
    log[level]("Schedule {name}: {what}: {error}; {then}", { name, what, error: reason, then });
  }

  /** Ends schedule `name`'s run of failures, if it had one, with a warning: `done` again. */
  #logRecovery(name: string, done: string): void {
    const failedFor = this.#failing.get(name)?.succeeded();
    this.#failing.delete(name);
    if (failedFor === undefined) return;
    log.warn("Schedule {name}: {done}, after failing for {length}", {
      name,
      done,
      length: formatLength(failedFor),
    });
  }

  /** Sleeps until the earliest due slot. */
  #arm(): void {
    if (this.#stopped) return;
    let earliest = Infinity;
    for (const schedule of this.active) {
      const state = this.#states.get(schedule.name);
      const retry = this.#retryAt.get(schedule.name) ?? 0;
      if (state === undefined) earliest = Math.min(earliest, retry);
      else if (!isFinished(schedule, state)) {
        earliest = Math.min(earliest, Math.max(state.nextRunAt, retry));
      }
    }
    if (earliest === Infinity) return;
    const nowMs = this.#options.now?.() ?? Date.now();
    const maxSleep = this.#options.maxSleepMs ?? MAX_SLEEP_MS;
    const delay = Math.min(maxSleep, Math.max(0, earliest * 1000 - nowMs));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), delay);
  }
}
