/**
 * The worker's face: the requests it serves and the order of its shutdown.
 * The work is done by claim_loop.ts (claims), job_runner.ts (one job from
 * its running mark to its stored row) and manual_runs.ts (run-manual).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { RequestError } from "../net/errors.ts";
import { MAX_WORKER_TARGETS } from "../protocol/limits.ts";
import type { RunManualResult, SendSignalResult, WorkerStatus } from "../protocol/requests.ts";
import type { JobStore } from "../storage/job_store.ts";
import { ClaimLoop } from "./claim_loop.ts";
import { JobRunner } from "./job_runner.ts";
import type { LauncherSettings } from "./launcher.ts";
import { ManualRuns } from "./manual_runs.ts";
import { Releaser } from "./release.ts";
import { StaleQueues } from "./stale_queues.ts";
import { StorageRetry } from "./storage_retry.ts";
import { Target } from "./target.ts";
import { DeferredJobs } from "./deferred.ts";
import { type JobPolicies, TimePolicy } from "./time_policy.ts";
import type { JobObserver } from "./job_observer.ts";
import type { ResultBacklog } from "./result_writer.ts";

const log = getLogger(["jobd", "worker"]);

/** What the worker needs to run: its store, targets and launcher. */
export interface WorkerOptions {
  store: JobStore;
  /** Target name -> concurrency. */
  targets: ReadonlyMap<string, number>;
  /** Most rows one claim query takes (`mysql_fetch_limit`). */
  fetchLimit: number;
  launcher: LauncherSettings;
  /** Seconds between polls of every target; 0 = only when asked. */
  pollInterval: number;
  /** Called after `add-target` / `remove-target` (to update the master). */
  onTargetsChanged?: () => void;
  /** Timeouts and retries per target (`timeout`, `max_attempts`, ...); none when absent. */
  policies?: JobPolicies;
  /** Told of each job's start, end and retry (the metrics). */
  observer?: JobObserver;
  /**
   * Resolves once claims may go to the store (`ClaimGate.opened`: start-up
   * recovery is done); claims wait for it before taking their start time.
   */
  claimsOpen?(): Promise<void>;
}

/**
 * Where the worker is in its life: `serving` until `shutdown()`, then
 * `stopping` (no claim and no start any more; queued jobs are released,
 * running ones finish), `hurried` after `hurry()` (running jobs are killed,
 * storage retries are abandoned).
 */
type Phase = "serving" | "stopping" | "hurried";

/**
 * The worker: claims jobs for its targets (claim_loop.ts), runs them within
 * each target's concurrency (job_runner.ts), and serves the requests:
 * polls, pauses, targets, run-manual (manual_runs.ts), signals, status and
 * the order of shutdown.
 */
export class Worker {
  readonly targets = new Map<string, Target>();
  #options: WorkerOptions;
  #phase: Phase = "serving";
  /** The shutdown, once begun. */
  #shutdownEnded: Promise<void> | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  readonly #retry = new StorageRetry();
  readonly #releaser: Releaser;
  readonly #manualRuns: ManualRuns;
  readonly #runner: JobRunner;
  readonly #claims: ClaimLoop;
  /** Releases jobs claimed ahead that stopped starting. */
  readonly #staleQueues: StaleQueues;
  /** Timeouts and retries in force (time_policy.ts). */
  readonly #time: TimePolicy;
  /** Deferred jobs: the timer to the earliest due `delayed` row (deferred.ts). */
  readonly #deferred: DeferredJobs;

  constructor(options: WorkerOptions) {
    this.#options = options;
    const { store } = options;
    for (const [name, concurrency] of options.targets) {
      this.targets.set(name, new Target(name, concurrency));
    }
    const targets = this.targets;
    const schedule = (target: Target) => this.#schedule(target);
    this.#time = new TimePolicy(options.policies, store.timeFeatures);
    this.#deferred = new DeferredJobs(store, (names) => this.poll(names));
    this.#releaser = new Releaser(store, this.#retry);
    this.#claims = new ClaimLoop({
      store,
      targets,
      releaser: this.#releaser,
      schedule,
      fetchLimit: () => this.#options.fetchLimit,
      running: () => this.#runner.running,
      knownIds: () => this.#knownIds(),
      claimsOpen: options.claimsOpen,
      startMarked: (target, job) => this.#runner.startMarked(target, job),
      beforeRound: () => this.#deferred.look(new Set(this.targets.keys())),
    });
    this.#manualRuns = new ManualRuns({
      store,
      targets,
      releaser: this.#releaser,
      schedule,
      startMarked: (target, job) => this.#runner.startMarked(target, job),
      claimFailed: (ids) => this.#claims.manualClaimFailed(ids),
      claimsOpen: options.claimsOpen,
      stopping: () => this.#phase !== "serving",
    });
    this.#runner = new JobRunner({
      store,
      retry: this.#retry,
      releaser: this.#releaser,
      manualRuns: this.#manualRuns,
      launcher: () => this.#options.launcher,
      time: this.#time,
      delayed: (target, runAt) => this.#deferred.noteDelayed(target, runAt),
      observer: options.observer,
      slotFreed: (target) => {
        this.#schedule(target);
        this.#claims.slotFreed(target);
      },
    });
    this.#staleQueues = new StaleQueues({
      targets,
      release: (jobs) => this.#releaser.release(jobs),
      schedule,
      lookForLeftBehind: () => this.#claims.lookForLeftBehind(),
    });
  }

  /** Launcher settings; replaced on config reload, used by jobs started later. */
  set launcher(settings: LauncherSettings) {
    this.#options = { ...this.#options, launcher: settings };
  }

  /** Timeouts and retries; replaced on config reload, used by jobs started later. */
  set policies(policies: JobPolicies) {
    this.#time.policies = policies;
  }

  /** Most rows one claim takes; replaced on config reload. */
  set fetchLimit(limit: number) {
    this.#options = { ...this.#options, fetchLimit: limit };
  }

  /**
   * Seconds between the worker's own polls; replaced on config reload (0
   * stops them). The next poll comes one new interval after the change.
   */
  set pollInterval(seconds: number) {
    this.#options = { ...this.#options, pollInterval: seconds };
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    if (seconds > 0 && this.#phase === "serving") {
      this.#pollTimer = setInterval(() => this.poll(), seconds * 1000);
    }
  }

  /**
   * Polls every target now and then every `pollInterval` seconds; with 0 the
   * worker claims only when asked, and when its `delayed` rows are due: it
   * counts them now, and its timer polls their target at the earliest one's
   * time (deferred.ts).
   */
  start(): void {
    if (this.#options.pollInterval > 0) {
      this.poll();
    } else if (this.#deferred.enabled) {
      this.#deferred.watch(this.targetNames);
      this.#claims.claim();
    }
    this.pollInterval = this.#options.pollInterval;
  }

  /** Names of the served targets. */
  get targetNames(): string[] {
    return [...this.targets.keys()];
  }

  /** A claim may have committed without our knowing (see ClaimLoop.claimInDoubt). */
  claimInDoubt(startedAt: number | undefined): void {
    this.#claims.claimInDoubt(startedAt);
  }

  /** Claims waiting jobs of the given targets (all when omitted) in the background. */
  poll(names: readonly string[] = this.targetNames): void {
    if (this.#phase !== "serving") return;
    this.#deferred.want(names);
    this.#claims.poll(names);
  }

  /** Pauses targets: queued background jobs wait, running ones finish. */
  pause(names: readonly string[] = this.targetNames): void {
    for (const name of names) this.#target(name).paused = true;
  }

  /** Resumes targets, starts their queued jobs and polls them. */
  resume(names: readonly string[] = this.targetNames): void {
    for (const name of names) {
      this.#target(name).paused = false;
      this.#schedule(this.#target(name));
    }
    this.poll(names);
  }

  /** The results of ended jobs not yet stored (undefined when none waits): `/health` reads it. */
  resultBacklog(): ResultBacklog | undefined {
    return this.#runner.resultBacklog();
  }

  /** The `status` response. */
  status(): WorkerStatus {
    const targets: WorkerStatus["targets"] = {};
    for (const target of this.targets.values()) {
      targets[target.name] = {
        paused: target.paused,
        concurrency: target.concurrency,
        length: target.length,
        ...this.#deferred.enabled ? { delayed: this.#deferred.countOf(target.name) } : {},
        ...this.#time.summaryOf(target.name),
      };
    }
    return {
      targets,
      jobPromisesCount: this.#manualRuns.waiting,
      memoryUsage: { ...Deno.memoryUsage() },
      pendingResultWrites: this.#runner.pendingResultWrites,
    };
  }

  /**
   * Starts serving a target. `cause`, in the log line: the request, or
   * `config reload`.
   */
  addTarget(name: string, concurrency: number, cause = "add-target"): void {
    if (this.targets.has(name)) throw new RequestError(`target '${name}' already added`);
    if (this.targets.size >= MAX_WORKER_TARGETS) {
      throw new RequestError(
        `cannot add target '${name}': this worker serves ${this.targets.size} targets, ` +
          `at most ${MAX_WORKER_TARGETS}`,
      );
    }
    this.targets.set(name, new Target(name, concurrency));
    log.info("Target {name} added with concurrency {concurrency} ({cause})", {
      name,
      concurrency,
      cause,
    });
    this.#options.onTargetsChanged?.();
    this.poll([name]);
  }

  /**
   * Stops serving a target that has no queued or running job. A target with
   * no running job that holds claimed jobs all the same (a paused one keeps
   * those of its free slots) is removed too, and they go back to `waiting`.
   */
  removeTarget(name: string, cause = "remove-target"): void {
    const target = this.#target(name);
    if (target.running > 0 || target.queuedManual > 0) {
      throw new RequestError("queue is not empty");
    }
    this.targets.delete(name);
    this.#staleQueues.releaseRemoved(target, target.drainQueued());
    this.#deferred.forget(name);
    log.info("Target {name} removed, its concurrency was {concurrency} ({cause})", {
      name,
      concurrency: target.concurrency,
      cause,
    });
    this.#options.onTargetsChanged?.();
  }

  /** Changes a target's concurrency; raising it starts queued jobs and claims more. */
  setConcurrency(name: string, concurrency: number, cause = "set-target-concurrency"): void {
    const target = this.#target(name);
    log.info("Target {name}: concurrency {before} -> {after} ({cause})", {
      name,
      before: target.concurrency,
      after: concurrency,
      cause,
    });
    target.concurrency = concurrency;
    this.#schedule(target);
    this.poll([name]);
  }

  /**
   * Runs manual jobs by id, even on paused targets, and resolves once every
   * one has ended and its row is stored. A job whose row is of another target
   * than `expectedTargets` gives for it is left as it is, with an error.
   */
  runManual(
    ids: readonly number[],
    expectedTargets?: ReadonlyMap<number, string>,
  ): Promise<RunManualResult> {
    return this.#manualRuns.run(ids, expectedTargets);
  }

  /** Sends signals to running jobs; true for each one delivered. */
  sendSignal(jobs: Readonly<Record<string, Deno.Signal>>): SendSignalResult {
    const delivered: SendSignalResult = {};
    for (const [id, signal] of Object.entries(jobs)) {
      delivered[id] = this.#runner.signal(Number(id), signal);
    }
    return delivered;
  }

  /**
   * Stops claiming, releases queued jobs, lets running jobs finish for up to
   * `timeoutSeconds`, then sends SIGTERM and, after a grace period, SIGKILL,
   * and stores every result before resolving. Called again, it returns the
   * same shutdown; {@linkcode Worker.hurry} cuts it short.
   */
  shutdown(timeoutSeconds: number): Promise<void> {
    this.#shutdownEnded ??= this.#shutdown(timeoutSeconds);
    return this.#shutdownEnded;
  }

  /**
   * Cuts a shutdown in progress short: running jobs get SIGTERM now (SIGKILL
   * after the grace period) instead of after the rest of the timeout, and a
   * database write that fails from now on is not retried (its row is left to
   * start-up recovery). Called again, it sends SIGTERM again. Does nothing
   * before `shutdown()`.
   */
  hurry(): void {
    if (this.#phase === "serving") return;
    this.#phase = "hurried";
    this.#retry.abandon();
    this.#runner.hurry();
  }

  /** The order of shutdown (see {@linkcode Worker.shutdown}). */
  async #shutdown(timeoutSeconds: number): Promise<void> {
    this.#phase = "stopping";
    this.#deferred.stop();
    this.#runner.stopStarting();
    this.#retry.wakeAll();
    clearInterval(this.#pollTimer);
    const claimsEnded = this.#claims.stop();
    const staleQueuesStopped = this.#staleQueues.stop();
    await claimsEnded;
    await this.#manualRuns.claimsEnded();
    await staleQueuesStopped;
    const unstarted = [...this.targets.values()].flatMap((target) => target.drainQueued());
    for (const job of unstarted) {
      this.#manualRuns.answer(job.id, { error: "the worker is shutting down" });
    }
    await this.#releaser.releaseOrLeave(unstarted);
    await this.#runner.releaseRefused();
    await this.#runner.stop(timeoutSeconds);
  }

  #target(name: string): Target {
    const target = this.targets.get(name);
    if (!target) throw new RequestError(`target '${name}' not found`);
    return target;
  }

  /** Starts every job of the target that may start now; watches what it claimed ahead. */
  #schedule(target: Target): void {
    if (this.#phase !== "serving") return;
    this.#runner.startReady(target);
    if (target.surplus > 0 && this.#claims.claimsAhead) this.#staleQueues.watch();
  }

  /**
   * Ids of the jobs this worker runs, has queued, is releasing, claims for a
   * run-manual, or whose result it has yet to store.
   */
  #knownIds(): Set<number> {
    const known = new Set([
      ...this.#runner.ids(),
      ...this.#runner.endingIds(),
      ...this.#runner.refusedIds(),
      ...this.#manualRuns.ids(),
      ...this.#staleQueues.releasing,
    ]);
    for (const target of this.targets.values()) for (const id of target.queuedIds()) known.add(id);
    return known;
  }
}
