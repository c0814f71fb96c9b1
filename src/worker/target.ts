import type { ClaimedJob } from "../job.ts";

/**
 * How far ahead of its free slots a target claims background jobs: as many
 * as it is expected to start within this many milliseconds, judged by how
 * many it started over the last {@linkcode START_RATE_WINDOW_MS}. Jobs that
 * end in a few milliseconds are then claimed many at a time, and a freed slot
 * starts the next one without waiting for the database.
 */
export const CLAIM_AHEAD_MS = 500;

/**
 * A target that started fewer background jobs than this over the last
 * {@linkcode START_RATE_WINDOW_MS} claims only for its free slots: its jobs
 * take long enough that a claim per free slot costs little, and a job held
 * ahead of a slot would wait there while another worker could run it.
 */
export const MIN_STARTS_TO_CLAIM_AHEAD = 4;

/**
 * A target claims again once the jobs it holds ahead are down to this share
 * of {@linkcode Target.ahead}; one that joins another target's claim
 * (`room(…, true)`), already at {@linkcode JOIN_SHARE}.
 */
const CLAIM_SHARE = 1 / 8;

/** See {@linkcode CLAIM_SHARE}: the share under which a target joins a claim made anyway. */
const JOIN_SHARE = 1 / 2;

/** The window over which a target's start rate is counted. */
export const START_RATE_WINDOW_MS = 1000;

/**
 * After this long without a background job starting (a job that runs long
 * in every slot, a pause, a batch of run-manual jobs), the background jobs a
 * target holds beyond its free slots are released for others to run.
 */
export const STALE_QUEUE_MS = 1000;

/**
 * One queue the worker serves: its concurrency limit, whether it is paused,
 * the claimed jobs waiting for a slot, the jobs running, and how many more a
 * claim may add. Background jobs wait while the target is paused; manual
 * jobs (an explicit request) do not, and go before background jobs.
 */
export class Target {
  readonly name: string;
  concurrency: number;
  paused = false;
  /** A poll arrived that could not be served in full yet. */
  pollPending = false;
  readonly #manual: ClaimedJob[] = [];
  readonly #background: ClaimedJob[] = [];
  #running = 0;
  /** Slots taken for jobs a claim in flight marks `running` (`reserve`). */
  #reserved = 0;
  /** When background jobs started within the last {@linkcode START_RATE_WINDOW_MS}, oldest first. */
  readonly #starts: number[] = [];
  /** When a background job last started or was queued. */
  #lastMove = -Infinity;
  /** When each job was first queued here (the wait metric's start when the row's creation is unknown). */
  readonly #queuedAt = new WeakMap<ClaimedJob, number>();
  readonly #clock: () => number;

  /** `clock`: milliseconds on a monotonic clock (tests pass their own). */
  constructor(name: string, concurrency: number, clock: () => number = () => performance.now()) {
    this.name = name;
    this.concurrency = concurrency;
    this.#clock = clock;
  }

  /** Jobs claimed and waiting for a slot. */
  get queued(): number {
    return this.#manual.length + this.#background.length;
  }

  /** Jobs started and not yet ended. */
  get running(): number {
    return this.#running;
  }

  /** Running plus queued jobs (`length` in `status`). */
  get length(): number {
    return this.#running + this.queued;
  }

  /**
   * How many background jobs to claim ahead of free slots, at most
   * `maxAhead`: those the target is expected to start within
   * {@linkcode CLAIM_AHEAD_MS} at the rate it started them lately; none while
   * paused.
   */
  ahead(maxAhead: number): number {
    if (this.paused || maxAhead <= 0) return 0;
    this.#forgetOldStarts();
    if (this.#starts.length < MIN_STARTS_TO_CLAIM_AHEAD) return 0;
    const expected = Math.floor(this.#starts.length * CLAIM_AHEAD_MS / START_RATE_WINDOW_MS);
    return Math.min(maxAhead, expected);
  }

  /**
   * How many more jobs a claim may add now: the free slots plus
   * {@linkcode ahead}. While more than an eighth of that many jobs claimed
   * ahead still wait (half, when `joining` a claim made for another
   * target), none, so that claims are fewer and larger.
   */
  room(maxAhead: number, joining = false): number {
    const ahead = this.ahead(maxAhead);
    if (ahead > 0 && this.queued > ahead * (joining ? JOIN_SHARE : CLAIM_SHARE)) return 0;
    return Math.max(0, this.concurrency + ahead - this.#reserved - this.length);
  }

  /**
   * Slots that no job holds or waits for: how many jobs a claim may mark
   * `running` to start at once (none while paused).
   */
  get free(): number {
    return this.paused ? 0 : Math.max(0, this.concurrency - this.#reserved - this.length);
  }

  /**
   * Slots that no running job, reserved slot or queued run-manual job takes:
   * how many run-manual jobs a claim may mark `running` to start at once
   * (paused or not: run-manual jobs ignore a pause and go before background
   * jobs).
   */
  get freeForManual(): number {
    return Math.max(0, this.concurrency - this.#reserved - this.#running - this.#manual.length);
  }

  /**
   * Takes `count` slots for the jobs a claim in flight marks `running`, so
   * that no other job (a run-manual one queued meanwhile) takes them and no
   * claim counts them free. Each is then taken by `startReserved` or given
   * back by `unreserve`. They do not count in `length`: the target can be
   * removed meanwhile (its marked jobs are then released).
   */
  reserve(count: number): void {
    this.#reserved += count;
  }

  /** Gives back `count` slots reserved for jobs the claim did not find. */
  unreserve(count: number): void {
    this.#reserved -= count;
  }

  /** `job`, marked `running` by its claim, starts in a slot reserved for it (counted running). */
  startReserved(job: ClaimedJob): void {
    this.#reserved--;
    this.#running++;
    // Its wait here (the wait metric) starts now: it never sat in the queue.
    this.#queuedAt.set(job, this.#clock());
    if (job.origin === "manual") return;
    this.#lastMove = this.#clock();
    this.#starts.push(this.#lastMove);
    this.#forgetOldStarts();
  }

  /** Queued background jobs beyond what the free slots can start now. */
  get surplus(): number {
    return Math.max(0, this.#background.length - this.freeForManual);
  }

  /**
   * When no background job has started or been queued for
   * {@linkcode STALE_QUEUE_MS}, takes the {@linkcode surplus} off the queue
   * (the jobs claimed last) to be released; otherwise none.
   */
  takeStale(): ClaimedJob[] {
    if (this.#clock() - this.#lastMove < STALE_QUEUE_MS) return [];
    return this.#background.splice(this.#background.length - this.surplus);
  }

  /** Queues a claimed job. */
  enqueue(job: ClaimedJob): void {
    if (!this.#queuedAt.has(job)) this.#queuedAt.set(job, this.#clock());
    if (job.origin === "manual") {
      this.#manual.push(job);
      return;
    }
    this.#background.push(job);
    this.#lastMove = this.#clock();
  }

  /** Takes the next job that may start now and counts it as running, if any. */
  takeStartable(): ClaimedJob | undefined {
    if (this.#running + this.#reserved >= this.concurrency) return undefined;
    const manual = this.#manual.shift();
    if (manual) {
      this.#running++;
      return manual;
    }
    const job = this.paused ? undefined : this.#background.shift();
    if (!job) return undefined;
    this.#running++;
    this.#lastMove = this.#clock();
    this.#starts.push(this.#lastMove);
    this.#forgetOldStarts();
    return job;
  }

  #forgetOldStarts(): void {
    const windowStart = this.#clock() - START_RATE_WINDOW_MS;
    while (this.#starts.length > 0 && this.#starts[0] <= windowStart) this.#starts.shift();
  }

  /** Milliseconds since `job` was first queued here; undefined for a job never queued. */
  queuedFor(job: ClaimedJob): number | undefined {
    const since = this.#queuedAt.get(job);
    return since === undefined ? undefined : this.#clock() - since;
  }

  /** Counts a running job as ended. */
  finishOne(): void {
    this.#running--;
  }

  /** Ids of the queued jobs. */
  queuedIds(): number[] {
    return [...this.#manual, ...this.#background].map((job) => job.id);
  }

  /** Claimed run-manual jobs waiting for a slot. */
  get queuedManual(): number {
    return this.#manual.length;
  }

  /** Empties the queue, returning the jobs that never started. */
  drainQueued(): ClaimedJob[] {
    return [...this.#manual.splice(0), ...this.#background.splice(0)];
  }
}
