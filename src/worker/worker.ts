import { getLogger } from "@logtape/logtape";
import { RequestError } from "../net/errors.ts";
import type {
  JobReport,
  RunManualResult,
  SendSignalResult,
  WorkerStatus,
} from "../protocol/requests.ts";
import { isTransientStorageError } from "../storage/errors.ts";
import type { ClaimedJob, JobOutcome, JobStore, ManualClaim } from "../storage/job_store.ts";
import { Backoff } from "./backoff.ts";
import { Batcher } from "./batcher.ts";
import { type LaunchedJob, type LauncherSettings, launchJob } from "./launcher.ts";
import { ResultWriter } from "./result_writer.ts";
import { parseSignal } from "./signals.ts";
import { Sleeper } from "./sleeper.ts";
import { describeJobs } from "../text.ts";
import { StaleQueues } from "./stale_queues.ts";
import { Target } from "./target.ts";
import { DeferredJobs } from "./deferred.ts";
import { limitRunTime } from "./job_timeout.ts";
import { type JobPolicies, TimePolicy } from "./time_policy.ts";

const log = getLogger(["jobd", "worker"]);

/** Most jobs marked `running` by one store call. */
const MAX_RUNNING_BATCH = 500;

/**
 * How long a claim for a freed slot waits while other jobs run, so that the
 * slots they free meanwhile are filled by the same claim: fewer, larger
 * claims (on the benchmark, 1.04 statements per job instead of 1.46, and
 * about 5 % more jobs per second). A worker with nothing running claims at once.
 */
const CLAIM_GATHER_MS = 1;

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
}

interface RunningJob {
  job: ClaimedJob;
  launched?: LaunchedJob;
  /** A signal from `send-signal` reached it: an operator stopped it, no retry. */
  signalled?: boolean;
}

interface ManualWaiter {
  resolve(report: JobReport | { error: string }): void;
}

/** Unix time in seconds. */
function now(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The worker: claims jobs for its targets, runs them within each target's
 * concurrency, stores their results, and serves run-manual and signals.
 */
export class Worker {
  readonly targets = new Map<string, Target>();
  #store: JobStore;
  #options: WorkerOptions;
  #results: ResultWriter;
  /** Jobs about to start, marked `running` together when they start together. */
  #runningMarks = new Batcher((ids: number[]) => this.#markRunning(ids), MAX_RUNNING_BATCH);
  #running = new Map<number, RunningJob>();
  /** Run-manual jobs being waited for, by id. */
  #waiters = new Map<number, ManualWaiter | undefined>();
  #claiming = false;
  #claimAgain = false;
  #claimRetry: ReturnType<typeof setTimeout> | undefined;
  #claimGather: ReturnType<typeof setTimeout> | undefined;
  /** Gives back jobs claimed ahead that stopped starting. */
  #staleQueues = new StaleQueues({
    targets: this.targets,
    release: (jobs) => this.#release(jobs),
    schedule: (target) => this.#schedule(target),
    lookForLeftBehind: () => {
      this.#claimInDoubt = true;
    },
  });
  #claimBackoff = new Backoff();
  /** A claim failed: it may have committed without our knowing; look for such rows. */
  #claimInDoubt = false;
  /** Ids of failed run-manual claims: such rows found `accepted` go back to `manual`. */
  #manualInDoubt = new Set<number>();
  /** Run-manual claims in flight; shutdown waits for them before giving queued jobs back. */
  #manualClaims = new Set<Promise<unknown>>();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #stopping = false;
  /** Resolved by a second `shutdown()`: stop waiting for jobs and for the database. */
  #hurry = Promise.withResolvers<void>();
  #abandoned = false;
  /** Wakes the storage retries that are waiting out a backoff. */
  #sleeper = new Sleeper();
  #idle = Promise.withResolvers<void>();
  /** Timeouts and retries in force (time_policy.ts). */
  #time: TimePolicy;
  /** Deferred jobs: the timer to the earliest due `delayed` row (deferred.ts). */
  #deferred: DeferredJobs;

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#time = new TimePolicy(options.policies, options.store.timeFeatures);
    this.#deferred = new DeferredJobs(options.store, (names) => this.poll(names));
    this.#results = new ResultWriter(options.store);
    for (const [name, concurrency] of options.targets) {
      this.targets.set(name, new Target(name, concurrency));
    }
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
    if (seconds > 0 && !this.#stopping) {
      this.#pollTimer = setInterval(() => this.poll(), seconds * 1000);
    }
  }

  /**
   * Polls every target now and then every `pollInterval` seconds; with 0 the
   * worker claims only when asked.
   */
  start(): void {
    if (this.#options.pollInterval > 0) this.poll();
    this.pollInterval = this.#options.pollInterval;
  }

  /** Names of the served targets. */
  get targetNames(): string[] {
    return [...this.targets.keys()];
  }

  /** Claims waiting jobs of the given targets (all when omitted) in the background. */
  poll(names: readonly string[] = this.targetNames): void {
    if (this.#stopping) return;
    for (const name of names) {
      const target = this.targets.get(name);
      if (target) target.pollPending = true;
    }
    this.#deferred.want(names);
    this.#claim();
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
      jobPromisesCount: this.#waiters.size,
      memoryUsage: { ...Deno.memoryUsage() },
      pendingResultWrites: this.#results.pending,
    };
  }

  /** Starts serving a target. */
  addTarget(name: string, concurrency: number): void {
    if (this.targets.has(name)) throw new RequestError(`target '${name}' already added`);
    this.targets.set(name, new Target(name, concurrency));
    log.info("Target {name} added with concurrency {concurrency}", { name, concurrency });
    this.#options.onTargetsChanged?.();
    this.poll([name]);
  }

  /** Stops serving a target that has no queued or running job. */
  removeTarget(name: string): void {
    const target = this.#target(name);
    if (target.length > 0) throw new RequestError("queue is not empty");
    this.targets.delete(name);
    this.#deferred.forget(name);
    log.info("Target {name} removed", { name });
    this.#options.onTargetsChanged?.();
  }

  /** Changes a target's concurrency; raising it starts queued jobs and claims more. */
  setConcurrency(name: string, concurrency: number): void {
    const target = this.#target(name);
    target.concurrency = concurrency;
    this.#schedule(target);
    this.poll([name]);
  }

  /**
   * Runs manual jobs by id, even on paused targets, and resolves once every
   * one has ended and its row is stored.
   */
  async runManual(ids: readonly number[]): Promise<RunManualResult> {
    const unique = [...new Set(ids)];
    const taken = unique.find((id) => this.#waiters.has(id));
    if (taken !== undefined) {
      throw new RequestError(`another client is already waiting for job ${taken}`);
    }
    if (this.#stopping) throw new RequestError("the worker is shutting down");
    for (const id of unique) this.#waiters.set(id, undefined);
    const errors: Record<string, string> = {};
    const jobs: Record<string, JobReport> = {};
    try {
      const claiming = this.#claimManual(unique);
      this.#manualClaims.add(claiming);
      const claim = await claiming.finally(() => this.#manualClaims.delete(claiming));
      for (const [id, error] of claim.errors) errors[id] = error;
      for (const [id, report] of await Promise.all(claim.reports)) {
        if ("error" in report) errors[id] = report.error;
        else jobs[id] = report;
      }
    } finally {
      for (const id of unique) this.#waiters.delete(id);
    }
    const result: RunManualResult = {};
    if (Object.keys(jobs).length > 0) result.jobs = jobs;
    if (Object.keys(errors).length > 0) result.errors = errors;
    return result;
  }

  /**
   * Claims run-manual jobs and queues those of served targets at once (a
   * shutdown that waited for this gives them back); rows of a target removed
   * meanwhile go back to `manual`.
   */
  async #claimManual(ids: number[]): Promise<{
    errors: Map<number, string>;
    reports: Promise<[number, JobReport | { error: string }]>[];
  }> {
    let claim: ManualClaim;
    try {
      claim = await this.#store.claimManual(ids, new Set(this.targets.keys()));
    } catch (error) {
      // It may have committed all the same: have such rows looked for and given back.
      for (const id of ids) {
        this.#waiters.delete(id);
        this.#manualInDoubt.add(id);
      }
      this.#claimInDoubt = true;
      this.#claim();
      throw error;
    }
    const errors = new Map(claim.errors);
    const reports: Promise<[number, JobReport | { error: string }]>[] = [];
    const orphans: ClaimedJob[] = [];
    const queued = new Set<Target>();
    for (const job of claim.claimed) {
      const target = this.targets.get(job.target);
      if (!target) {
        errors.set(job.id, `target '${job.target}' not found (job id=${job.id})`);
        orphans.push(job);
        continue;
      }
      reports.push(
        new Promise<JobReport | { error: string }>((resolve) => {
          this.#waiters.set(job.id, { resolve });
        }).then((report) => [job.id, report]),
      );
      target.enqueue(job);
      queued.add(target);
    }
    for (const target of queued) this.#schedule(target);
    await this.#releaseOrLeave(orphans);
    return { errors, reports };
  }

  /** Sends signals to running jobs; true for each one delivered. */
  sendSignal(jobs: Readonly<Record<string, unknown>>): SendSignalResult {
    const delivered: SendSignalResult = {};
    for (const [id, value] of Object.entries(jobs)) {
      const signal = parseSignal(value);
      const running = this.#running.get(Number(id));
      const launched = running?.launched;
      delivered[id] = signal !== undefined && launched !== undefined && launched.signal(signal);
      if (delivered[id]) running!.signalled = true;
    }
    return delivered;
  }

  /**
   * Stops claiming, gives queued jobs back, lets running jobs finish for up to
   * `timeoutSeconds`, then sends SIGTERM and, after a grace period, SIGKILL,
   * and stores every result before resolving. Calling it again stops waiting:
   * running jobs get SIGTERM at once (SIGKILL after the grace period), and a
   * database write that fails from then on is not retried (its row is left
   * to start-up recovery).
   */
  async shutdown(timeoutSeconds: number): Promise<void> {
    if (this.#stopping) {
      this.#abandoned = true;
      this.#results.abandon();
      this.#sleeper.wakeAll();
      this.#hurry.resolve();
      this.#killAll("SIGTERM");
      return;
    }
    this.#stopping = true;
    this.#sleeper.wakeAll();
    this.#deferred.stop();
    clearInterval(this.#pollTimer);
    clearTimeout(this.#claimRetry);
    clearTimeout(this.#claimGather);
    const staleQueuesStopped = this.#staleQueues.stop();
    while (this.#claiming) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.allSettled(this.#manualClaims);
    await staleQueuesStopped;
    const unstarted = [...this.targets.values()].flatMap((target) => target.drainQueued());
    for (const job of unstarted) {
      this.#waiters.get(job.id)?.resolve({ error: "the worker is shutting down" });
    }
    await this.#releaseOrLeave(unstarted);
    if (this.#running.size > 0) {
      log.info("Waiting up to {seconds} s for {count} running job(s)", {
        seconds: timeoutSeconds,
        count: this.#running.size,
      });
      const hurried = this.#hurry.promise.then(() => false as const);
      if (!await this.#waitIdle(timeoutSeconds * 1000, hurried)) {
        this.#killAll("SIGTERM");
        if (!await this.#waitIdle(5000)) this.#killAll("SIGKILL");
        // A killed launcher's own children may hold its pipes open: stop
        // waiting eventually; such rows stay 'running' for start-up recovery.
        if (!await this.#waitIdle(10_000)) {
          log.error("Jobs {ids} did not end after SIGKILL; leaving them to recovery", {
            ids: [...this.#running.keys()].join(", "),
          });
        }
      }
    }
    await this.#results.flush();
  }

  #killAll(signal: Deno.Signal): void {
    for (const { job, launched } of this.#running.values()) {
      if (launched?.signal(signal)) log.warn("Sent {signal} to job {id}", { signal, id: job.id });
    }
  }

  /** Whether no job runs any more within `ms` (false as soon as `cutShort` resolves). */
  async #waitIdle(ms: number, cutShort?: Promise<false>): Promise<boolean> {
    if (this.#running.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      if (ms !== Infinity) timer = setTimeout(() => resolve(false), ms);
    });
    const idle = await Promise.race([
      this.#idle.promise.then(() => true),
      timeout,
      ...cutShort ? [cutShort] : [],
    ]);
    clearTimeout(timer);
    return idle;
  }

  #target(name: string): Target {
    const target = this.targets.get(name);
    if (!target) throw new RequestError(`target '${name}' not found`);
    return target;
  }

  /** Claims for every target with a pending poll and room, one claim loop at a time. */
  async #claim(): Promise<void> {
    if (this.#stopping) return;
    if (this.#claiming) {
      this.#claimAgain = true;
      return;
    }
    this.#claiming = true;
    try {
      do {
        this.#claimAgain = false;
        if (this.#claimInDoubt) await this.#adoptClaimsInDoubt();
        await this.#deferred.look(new Set(this.targets.keys()));
        await this.#claimRound();
      } while (this.#claimAgain && !this.#stopping);
    } catch (error) {
      this.#claimInDoubt = true;
      if (this.#stopping) {
        log.warn("Cannot claim jobs: {error}", { error: String(error) });
        return;
      }
      const delay = this.#claimBackoff.next();
      const level = isTransientStorageError(error) ? "warn" : "error";
      log[level]("Cannot claim jobs, retrying in {delay} ms: {error}", {
        delay,
        error: String(error),
      });
      clearTimeout(this.#claimRetry);
      this.#claimRetry = setTimeout(() => this.#claim(), delay);
    } finally {
      this.#claiming = false;
    }
  }

  /**
   * One claim for every target with a pending poll and room, each limited to
   * what it can take now, in one transaction; the jobs are queued (or given
   * back when their target was removed meanwhile).
   */
  async #claimRound(): Promise<void> {
    if (this.#stopping) return;
    const limits = new Map<string, number>();
    for (const target of this.targets.values()) {
      if (!target.pollPending) continue;
      const room = this.#roomOf(target);
      if (room === 0) continue;
      limits.set(target.name, Math.min(room, this.#options.fetchLimit));
      // Cleared before the claim: a poll that arrives during it (for rows
      // inserted after its snapshot) sets it again and is served next round.
      target.pollPending = false;
    }
    if (limits.size === 0) return;
    let claimed;
    try {
      claimed = await this.#store.claimWaiting(limits);
    } catch (error) {
      for (const name of limits.keys()) {
        const target = this.targets.get(name);
        if (target) target.pollPending = true;
      }
      throw error;
    }
    this.#claimBackoff.reset();
    const byTarget = Map.groupBy(claimed, (job) => job.target);
    const orphans: ClaimedJob[] = [];
    for (const [name, limit] of limits) {
      const jobs = byTarget.get(name) ?? [];
      log.debug("Claimed {count} job(s) of {target}", { count: jobs.length, target: name });
      const target = this.targets.get(name);
      if (!target) {
        orphans.push(...jobs);
        continue;
      }
      // A full claim means more may be waiting: keep the poll pending.
      if (jobs.length >= limit) {
        target.pollPending = true;
        this.#claimAgain = true;
      }
      for (const job of jobs) target.enqueue(job);
      this.#schedule(target);
    }
    await this.#release(orphans);
  }

  /**
   * Finds rows this worker owns in `accepted` that it does not know of: a
   * claim whose commit succeeded while its reply was lost, or whose release
   * failed. A poll's rows are queued (given back when their target is gone),
   * a run-manual's go back to `manual`. Needs the `worker` column; without it
   * such rows wait for an operator.
   */
  async #adoptClaimsInDoubt(): Promise<void> {
    // Cleared before the query: a claim failing during it is looked for next time.
    this.#claimInDoubt = false;
    const manualIds = new Set(this.#manualInDoubt);
    this.#manualInDoubt.clear();
    if (!this.#store.tracksOwner) return;
    try {
      await this.#adopt(manualIds);
    } catch (error) {
      for (const id of manualIds) this.#manualInDoubt.add(id);
      throw error;
    }
  }

  /** Looks for rows in doubt; those of `manualIds` go back to `manual`. */
  async #adopt(manualIds: ReadonlySet<number>): Promise<void> {
    // Known before the query and after it: a row given back while the query
    // ran was still 'accepted' for the query, but is ours no longer.
    const knownBefore = this.#knownIds();
    const leftBehind = await this.#store.findLeftBehind();
    const known = this.#knownIds().union(knownBefore);
    const adopted = leftBehind.filter((job) => job.status === "accepted" && !known.has(job.id));
    // The client of a failed run-manual got an error: its rows wait for the
    // next one. Rows of a target no longer served go back too.
    const giveBack: ClaimedJob[] = [];
    for (const { id, target: name } of adopted) {
      const target = this.targets.get(name);
      if (manualIds.has(id) || !target) {
        giveBack.push({ id, target: name, origin: manualIds.has(id) ? "manual" : "waiting" });
        continue;
      }
      log.warn("Job {id} was claimed by a claim whose reply was lost; queueing it", { id });
      target.enqueue({ id, target: name, origin: "waiting" });
      this.#schedule(target);
    }
    if (giveBack.length > 0) {
      log.warn("Jobs {ids} were claimed but cannot run here now; giving them back", {
        ids: giveBack.map((job) => job.id).join(", "),
      });
      await this.#release(giveBack);
    }
  }

  /** Ids of the jobs this worker runs, has queued, is giving back, or claims for a run-manual. */
  #knownIds(): Set<number> {
    const known = new Set([
      ...this.#running.keys(),
      ...this.#waiters.keys(),
      ...this.#staleQueues.givingBack,
    ]);
    for (const target of this.targets.values()) for (const id of target.queuedIds()) known.add(id);
    return known;
  }

  /** Starts every job of the target that may start now. */
  #schedule(target: Target): void {
    if (this.#stopping) return;
    for (let job = target.takeStartable(); job; job = target.takeStartable()) {
      this.#run(target, job);
    }
    if (target.surplus > 0 && this.#claimsAhead) this.#staleQueues.watch();
  }

  /**
   * Whether targets claim jobs ahead of their free slots and give back
   * those that stop starting: only with the `worker` column. Without it, rows
   * claimed ahead by a worker that crashed would stay `accepted` until fixed
   * by hand, and a release retried after a lost reply has no owner guard.
   */
  get #claimsAhead(): boolean {
    return this.#store.tracksOwner;
  }

  /** How many more jobs a claim may add to the target now (ahead: up to a claim's worth). */
  #roomOf(target: Target): number {
    return target.room(this.#claimsAhead ? this.#options.fetchLimit : 0);
  }

  async #run(target: Target, job: ClaimedJob): Promise<void> {
    if (this.#running.has(job.id)) {
      // Never two copies of one job: the one that runs owns the row.
      log.error("Job {id} is already running here; not starting it again", { id: job.id });
      target.finishOne();
      return;
    }
    const running: RunningJob = { job };
    this.#running.set(job.id, running);
    try {
      const marked = await this.#runningMarks.add(job.id);
      if (marked === undefined) {
        log.info("Job {id} not started: the worker is shutting down", { id: job.id });
        this.#waiters.get(job.id)?.resolve({ error: "the worker is shutting down" });
        await this.#releaseOrLeave([job]);
        return;
      }
      if (!marked) {
        log.warn("Job {id} not started: its row is no longer 'accepted'", { id: job.id });
        this.#waiters.get(job.id)?.resolve({
          error: `job ${job.id} changed status before it could start`,
        });
        return;
      }
      const launched = launchJob(job.id, this.#options.launcher);
      running.launched = launched;
      log.info("Job {id} of {target} started (pid {pid})", {
        id: job.id,
        target: target.name,
        pid: launched.pid ?? "none",
      });
      const outcome = await limitRunTime(job.id, launched, this.#time.limitOf(job));
      this.#finish(target, job);
      log.info("Job {id} ended: {result}, code {code}, signal {signal}", {
        id: job.id,
        result: outcome.result,
        code: outcome.code ?? "none",
        signal: outcome.signal ?? "none",
      });
      // A run-manual caller waits for this row: write it without gathering others.
      const urgent = this.#waiters.get(job.id) !== undefined;
      const { retryAt } = this.#time.decide(job, outcome, {
        manual: urgent || job.origin === "manual",
        signalled: running.signalled === true,
        nowSeconds: now(),
      });
      const finished = { id: job.id, outcome, finishedAt: now(), retryAt };
      const written = await this.#results.write(finished, urgent);
      if (retryAt !== undefined && written === "stored") {
        log.info("Job {id} will be retried at {time}", { id: job.id, time: retryAt });
        this.#deferred.noteDelayed(target.name, retryAt);
      }
      this.#waiters.get(job.id)?.resolve(
        written === "stored"
          ? report(outcome)
          : written === "untouched"
          ? { error: `job ${job.id} changed status while it ran` }
          : { error: `job ${job.id} ended (${outcome.result}) but its result could not be stored` },
      );
    } catch (error) {
      // Only a storage error that is not retried gets here (not transient, or
      // after a second shutdown); the job is not lost: its row stays
      // 'accepted' for start-up recovery.
      log.error("Job {id} could not be run: {error}", { id: job.id, error });
      this.#waiters.get(job.id)?.resolve({ error: `job ${job.id} could not be run: ${error}` });
    } finally {
      this.#finish(target, job);
    }
  }

  /**
   * Marks the jobs of one batch running, in one store call retried while the
   * database is away: for each, true when marked, false when its row was no
   * longer `accepted`, undefined when shutdown began before the batch got
   * through (the job is then given back instead of started).
   */
  async #markRunning(ids: number[]): Promise<(boolean | undefined)[]> {
    // The same `time_started` on every attempt: by it the store recognises
    // rows an attempt marked before its reply was lost. After an outage it
    // is when the start was first tried.
    const startedAt = now();
    const untouched = await this.#retryStorage(`mark ${describeJobs(ids)} running`, () => {
      // A batch queued behind a retried one may come after shutdown began.
      if (this.#stopping) return Promise.resolve(undefined);
      return this.#store.markRunning(ids, startedAt);
    });
    if (untouched === undefined) return ids.map(() => undefined);
    // A row an attempt marked before its reply was lost is not among them:
    // the store knows it by its `time_started`.
    const refused = new Set(untouched);
    return ids.map((id) => !refused.has(id));
  }

  /** Frees the job's slot once (and only once), starting what may start next. */
  #finish(target: Target, job: ClaimedJob): void {
    if (this.#running.get(job.id)?.job !== job) return;
    this.#running.delete(job.id);
    target.finishOne();
    if (this.#running.size === 0) {
      this.#idle.resolve();
      this.#idle = Promise.withResolvers();
    }
    this.#schedule(target);
    if (target.pollPending && this.#roomOf(target) > 0) this.#claimSoon();
  }

  /**
   * Claims at once when no job runs; otherwise after `CLAIM_GATHER_MS`, so
   * that slots freed meanwhile are filled by the same claim. Each target
   * takes what its room is at the time of the claim.
   */
  #claimSoon(): void {
    if (this.#stopping) return;
    if (this.#running.size === 0) {
      this.#claim();
      return;
    }
    this.#claimGather ??= setTimeout(() => {
      this.#claimGather = undefined;
      this.#claim();
    }, CLAIM_GATHER_MS);
  }

  async #release(jobs: ClaimedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const kept = await this.#retryStorage(
      "release unstarted jobs",
      () => this.#store.release(jobs),
    );
    if (kept.length > 0) {
      log.warn("Jobs {ids} not released: their rows changed", { ids: kept.join(", ") });
    }
  }

  /**
   * Gives unstarted jobs back; when the store refuses, logs it and leaves
   * their rows `accepted` (start-up recovery requeues them).
   */
  async #releaseOrLeave(jobs: ClaimedJob[]): Promise<void> {
    try {
      await this.#release(jobs);
    } catch (error) {
      log.error("Cannot give jobs {ids} back, leaving them 'accepted': {error}", {
        ids: jobs.map((job) => job.id).join(", "),
        error: String(error),
      });
    }
  }

  /**
   * Retries a storage operation until it succeeds while the database is
   * away (not after a second `shutdown()`).
   */
  async #retryStorage<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const backoff = new Backoff();
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!isTransientStorageError(error) || this.#abandoned) throw error;
        const delay = backoff.next();
        log.warn("Cannot {what}, retrying in {delay} ms: {error}", {
          what,
          delay,
          error: String(error),
        });
        await this.#sleeper.sleep(delay);
      }
    }
  }
}

function report(outcome: JobOutcome): JobReport {
  return {
    result: outcome.result,
    code: outcome.code,
    signal: outcome.signal,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
  };
}
