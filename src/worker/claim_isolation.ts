/**
 * One target's failing claim does not hold back the others. A claim serves
 * every target in one transaction; when it fails for a reason that is not
 * the database's state (not transient: a name the column cannot compare, a
 * trigger refusing one target's rows), each target is claimed alone, and the
 * ones that still fail are set aside with a backoff of their own, logged by
 * name, while the others go on being claimed together. A target set aside
 * is polled again when its backoff ends, and claimed alone until a claim of
 * it works. A target's failures in a row (a jobs table gone) are one error,
 * again when the reason changes, the others at debug, and one warning when
 * its claims work again.
 */

import { getLogger } from "@logtape/logtape";
import { messageOf } from "../text.ts";
import { decorateStore } from "../storage/decorate.ts";
import { causeChain, isTransientStorageError } from "../storage/errors.ts";
import type { ClaimedJob } from "../job.ts";
import { Backoff, FAILING_TARGET_BACKOFF } from "../retry_policy.ts";
import { FailureRun, formatLength } from "../outage.ts";
import type { JobStore } from "../storage/job_store.ts";

const log = getLogger(["jobd", "worker", "claim"]);

/** A target whose claims failed. */
interface Failing {
  backoff: Backoff;
  /** Until it is due again, unix ms. */
  until: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Its failures in a row: one error, then debug until the reason changes. */
  run: FailureRun;
}

/** The message of the innermost cause of `error` (the database's own words). */
function causeMessage(error: unknown): string {
  let innermost: unknown = error;
  for (const cause of causeChain(error)) innermost = cause;
  return messageOf(innermost);
}

/** What a claim starts at once: `claimWaiting`'s `startNow` and `startedAt`. */
interface Start {
  startNow: ReadonlyMap<string, number>;
  startedAt: number | undefined;
}

/** The part of `startNow` that concerns `targets`. */
function shareOf(
  startNow: ReadonlyMap<string, number>,
  targets: Iterable<string>,
): Map<string, number> {
  const share = new Map<string, number>();
  for (const target of targets) {
    const count = startNow.get(target);
    if (count !== undefined) share.set(target, count);
  }
  return share;
}

/** Options of `isolateClaimFailures`. */
export interface ClaimIsolationOptions {
  /** Asks the worker to poll a target again (its backoff ended). */
  repoll(target: string): void;
  /**
   * A target's claim failed on a transient error after other targets' jobs
   * were claimed: it may have committed all the same, marking jobs `running`
   * at `startedAt` (undefined when it marked none). The claim loop looks for
   * such rows (ClaimLoop.claimInDoubt).
   */
  claimInDoubt?(startedAt: number | undefined): void;
  /** The backoff of a failing target (default `FAILING_TARGET_BACKOFF`: 1 s doubling to 60 s). */
  backoff?: () => Backoff;
}

/**
 * `store` whose `claimWaiting` keeps a target's failure to itself (see the
 * module's text), and whose claims that mark jobs `running` (run-manual's
 * too) fall back to claims without marks when the database refuses the marks. A transient
 * error (the database away) still fails the whole claim when nothing was
 * claimed, as before: the worker retries it.
 */
export function isolateClaimFailures(store: JobStore, options: ClaimIsolationOptions): JobStore {
  const failing = new Map<string, Failing>();
  const newBackoff = options.backoff ?? (() => new Backoff(FAILING_TARGET_BACKOFF));
  let closed = false;

  const setAside = (target: string, error: unknown) => {
    let entry = failing.get(target);
    if (entry === undefined) {
      entry = { backoff: newBackoff(), until: 0, timer: undefined, run: new FailureRun() };
      failing.set(target, entry);
    }
    const delay = entry.backoff.next();
    entry.until = Date.now() + delay;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (!closed) options.repoll(target);
    }, delay);
    const reason = messageOf(error);
    log[entry.run.failed(reason) ? "error" : "debug"](
      "Cannot claim jobs of target {target}, retrying it in {delay} ms (other targets go on): " +
        "{error}",
      { target, delay, error: reason },
    );
  };

  const recovered = (target: string) => {
    const entry = failing.get(target);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    failing.delete(target);
    log.warn("Claims of target {target} work again, after failing for {length}", {
      target,
      length: formatLength(entry.run.succeeded() ?? 0),
    });
  };

  /**
   * While the database refuses running marks in claims (a trigger that wants
   * every row `accepted` first): claims go without marks until `until`, the
   * wait growing as a failing target's does, so that such a table costs one
   * refused claim and one warning per backoff, not per claim.
   */
  let marksRefused: { backoff: Backoff; until: number } | undefined;
  /** The refusals of marks in a row: one warning, then debug until the database's reason changes. */
  const marksRun = new FailureRun();

  /**
   * A claim with running marks (`marking`); when the database refuses it for
   * a reason that is not transient (a trigger refusing a row `running`), the
   * same claim without marks (`plain`): the jobs come `accepted`, and a row
   * whose running mark is refused is held back by itself (refused_marks.ts)
   * instead of failing every claim of its target.
   */
  const markingOrNot = async <T>(
    what: string,
    marking: () => Promise<T>,
    plain: () => Promise<T>,
  ): Promise<T> => {
    if (marksRefused !== undefined && Date.now() < marksRefused.until) return await plain();
    try {
      const claimed = await marking();
      if (marksRefused !== undefined) {
        marksRefused = undefined;
        marksRun.succeeded();
        log.warn("Claims mark the jobs that start at once running again");
      }
      return claimed;
    } catch (error) {
      if (isTransientStorageError(error)) throw error;
      marksRefused ??= { backoff: newBackoff(), until: 0 };
      const delay = marksRefused.backoff.next();
      marksRefused.until = Date.now() + delay;
      // The claim's text names its targets; the database's own reason tells a repeat.
      log[marksRun.failed(causeMessage(error)) ? "warn" : "debug"](
        "Cannot mark {what} running in their claim; claiming without marks for {delay} ms: {error}",
        { what, delay, error: messageOf(error) },
      );
      return await plain();
    }
  };

  /** Claims `limits`, marking `startNow` running (or not: `markingOrNot`). */
  const claimMarking = async (
    limits: ReadonlyMap<string, number>,
    startNow: ReadonlyMap<string, number>,
    startedAt: number | undefined,
  ): Promise<ClaimedJob[]> => {
    if (startNow.size === 0) return await store.claimWaiting(limits);
    return await markingOrNot(
      "jobs",
      () => store.claimWaiting(limits, startNow, startedAt),
      () => store.claimWaiting(limits),
    );
  };

  /** Claims one target alone: its jobs, or undefined when it failed (and was set aside). */
  const claimAlone = async (
    target: string,
    limit: number,
    start: Start,
  ): Promise<ClaimedJob[] | undefined> => {
    try {
      const jobs = await claimMarking(
        new Map([[target, limit]]),
        shareOf(start.startNow, [target]),
        start.startedAt,
      );
      recovered(target);
      return jobs;
    } catch (error) {
      if (isTransientStorageError(error)) throw error;
      setAside(target, error);
      return undefined;
    }
  };

  const claimWaiting = async (
    limits: ReadonlyMap<string, number>,
    startNow: ReadonlyMap<string, number> = new Map(),
    startedAt?: number,
  ): Promise<ClaimedJob[]> => {
    const start = { startNow, startedAt };
    const now = Date.now();
    const together = new Map<string, number>();
    const alone = new Map<string, number>();
    for (const [target, limit] of limits) {
      const entry = failing.get(target);
      if (entry === undefined) together.set(target, limit);
      // Still set aside: its timer polls it again when due.
      else if (entry.until <= now) alone.set(target, limit);
    }
    const jobs: ClaimedJob[] = [];
    if (together.size > 0) {
      try {
        jobs.push(
          ...await claimMarking(together, shareOf(startNow, together.keys()), startedAt),
        );
      } catch (error) {
        if (isTransientStorageError(error)) throw error;
        // Which target failed? Each one alone tells.
        if (together.size === 1) setAside([...together.keys()][0], error);
        else for (const [target, limit] of together) alone.set(target, limit);
      }
    }
    for (const [target, limit] of alone) {
      try {
        jobs.push(...await claimAlone(target, limit, start) ?? []);
      } catch (error) {
        // The database went away: with nothing claimed, the worker retries the whole claim.
        if (jobs.length === 0) throw error;
        // Jobs are claimed already: keep them, and try this target again later.
        // Its claim may have committed before the error: have its rows looked for.
        options.claimInDoubt?.(start.startNow.has(target) ? start.startedAt : undefined);
        setAside(target, error);
      }
    }
    return jobs;
  };

  /** run-manual's claim, marking or not as `claimMarking` does. */
  const claimManual: JobStore["claimManual"] = async (
    ids,
    servedTargets,
    startNow,
    startedAt,
    expectedTargets,
  ) => {
    const withoutMarking = () =>
      store.claimManual(ids, servedTargets, undefined, undefined, expectedTargets);
    if (startNow === undefined || startNow.size === 0) return await withoutMarking();
    return await markingOrNot(
      "run-manual jobs",
      () => store.claimManual(ids, servedTargets, startNow, startedAt, expectedTargets),
      withoutMarking,
    );
  };

  return decorateStore(store, {
    claimWaiting,
    claimManual,
    close: async () => {
      closed = true;
      for (const entry of failing.values()) clearTimeout(entry.timer);
      await store.close();
    },
  });
}
