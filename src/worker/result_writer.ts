import { getLogger } from "@logtape/logtape";
import type { FinishedJob, JobStore } from "../storage/job_store.ts";
import { describeJobs, messageOf } from "../text.ts";
import { Sleeper } from "./sleeper.ts";
import { StorageRetry } from "./storage_retry.ts";

const log = getLogger(["jobd", "worker", "results"]);

/** Most rows written by one `markDone` call. */
const BATCH_SIZE = 200;

/**
 * How long a result that nobody waits for may wait for others to share its
 * write, or for the running mark of a job started after it to take it along
 * (`take`). Jobs that end close together are then stored by one statement
 * instead of one each; their slots are free already, so nothing waits on it.
 */
const GATHER_MS = 20;

/** What became of a result: stored, refused because the row was no longer `running`, or given up. */
export type WriteOutcome = "stored" | "untouched" | "abandoned";

/**
 * Most output (stdout and stderr, in UTF-16 code units) the results that
 * ride along with a start (`take`) carry together: a start waits for its
 * statement.
 */
const MAX_TAKEN_OUTPUT = 16 * 1024;

/**
 * Most results that ride along with one start (`take`): after an outage
 * thousands may wait, and the statement that carries them grows with their
 * number (a `CASE id` per column) and must stay well within a packet.
 */
export const MAX_TAKEN_RESULTS = 64;

/** The results a writer has not stored yet (`ResultWriter.backlog`). */
export interface ResultBacklog {
  readonly pending: number;
  /** The job whose result waits longest, and how long it has waited since it was queued (ms). */
  readonly oldestId: number;
  readonly oldestWaitedMs: number;
  /** Why the last write failed, unless one succeeded since. */
  readonly lastError: string | undefined;
}

interface QueuedResult {
  job: FinishedJob;
  resolve(outcome: WriteOutcome): void;
  /** A run-manual caller waits for it. */
  urgent: boolean;
  /** When it was queued (the writer's clock, ms). */
  queuedAt: number;
}

/**
 * Results taken off the queue to be stored by another statement (a start's
 * running mark, job_runner.ts): `settle` with what the store left untouched,
 * or `giveBack` for the writer to store them its own way.
 */
export interface TakenResults {
  readonly jobs: FinishedJob[];
  settle(untouched: readonly number[]): void;
  giveBack(): void;
}

/**
 * Writes finished jobs to the store, in batches, and never gives up until
 * told to (`StorageRetry.abandon()`): a write that fails is retried with backoff until the database
 * takes it, while the worker goes on running other jobs. `pending` is what
 * still waits.
 */
export class ResultWriter {
  #store: JobStore;
  #queue: QueuedResult[] = [];
  /** True from the first queued result until the queue is empty again. */
  #writing = false;
  #drained: Promise<void> = Promise.resolve();
  #retry: StorageRetry;
  /** Ends the current gathering wait early (see `GATHER_MS`). */
  #gathering = new Sleeper();
  #hurried = false;
  /** Results at the head of the queue whose write is in flight. */
  #inFlight = 0;
  /** Results taken by `take` and not yet settled or given back. */
  #taken = 0;
  /** The results taken by `take` and not yet settled or given back, by id: when each was queued. */
  readonly #takenIds = new Map<number, number>();
  readonly #now: () => number;
  /** Why the last write failed, until a write succeeds. */
  #lastError: string | undefined;

  /**
   * `retry`: the worker's storage retries, whose `abandon()` gives up the
   * writes too; `now`: the clock that dates the queued results (ms).
   */
  constructor(
    store: JobStore,
    retry: StorageRetry = new StorageRetry(),
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.#retry = retry;
    this.#now = now;
  }

  /** Results not yet stored. */
  get pending(): number {
    return this.#queue.length + this.#taken;
  }

  /** Ids of the jobs whose result is not yet stored (their rows are still `running`). */
  *ids(): IterableIterator<number> {
    for (const entry of this.#queue) yield entry.job.id;
    yield* this.#takenIds.keys();
  }

  /**
   * The results not yet stored: how many, how long the oldest of them has
   * waited since it was queued (a result is tried within {@linkcode GATHER_MS} of that),
   * its job, and why the last write failed (until one succeeds); undefined
   * when none waits.
   */
  backlog(): ResultBacklog | undefined {
    let oldest: { id: number; queuedAt: number } | undefined;
    for (const entry of this.#queue) {
      if (oldest === undefined || entry.queuedAt < oldest.queuedAt) {
        oldest = { id: entry.job.id, queuedAt: entry.queuedAt };
      }
    }
    for (const [id, queuedAt] of this.#takenIds) {
      if (oldest === undefined || queuedAt < oldest.queuedAt) oldest = { id, queuedAt };
    }
    if (oldest === undefined) return undefined;
    return {
      pending: this.pending,
      oldestId: oldest.id,
      oldestWaitedMs: this.#now() - oldest.queuedAt,
      lastError: this.#lastError,
    };
  }

  /**
   * Queues a result, written within `GATHER_MS` together with the results
   * queued meanwhile, or at once when `urgent`. Resolves `stored` once
   * stored, `untouched` when the row was no longer `running` (changed under
   * us; left untouched and logged), `abandoned` when a write failed after
   * the retries were abandoned (`StorageRetry.abandon()`; the row stays
   * `running`, for start-up recovery).
   */
  write(job: FinishedJob, urgent = false): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      this.#queue.push({ job, resolve, urgent, queuedAt: this.#now() });
      if (urgent || this.#queue.length >= BATCH_SIZE) this.#hurry();
      this.#startDrain();
    });
  }

  /**
   * Takes the results that wait for their write and no write has begun for
   * (none a run-manual caller waits for, no retry, within
   * {@linkcode MAX_TAKEN_OUTPUT} and {@linkcode MAX_TAKEN_RESULTS}), for the
   * caller to store with a statement
   * of its own; undefined when there are none.
   */
  take(): TakenResults | undefined {
    let output = 0;
    const taken: QueuedResult[] = [];
    for (
      let index = this.#inFlight;
      index < this.#queue.length && taken.length < MAX_TAKEN_RESULTS;
    ) {
      const entry = this.#queue[index];
      const { outcome } = entry.job;
      const size = outcome.stdout.length + outcome.stderr.length;
      if (
        entry.urgent || entry.job.retryAt !== undefined || isDegraded(entry.job) ||
        output + size > MAX_TAKEN_OUTPUT
      ) {
        index++;
        continue;
      }
      output += size;
      taken.push(entry);
      this.#queue.splice(index, 1);
    }
    if (taken.length === 0) return undefined;
    this.#taken += taken.length;
    for (const entry of taken) this.#takenIds.set(entry.job.id, entry.queuedAt);
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.#taken -= taken.length;
      for (const entry of taken) this.#takenIds.delete(entry.job.id);
      return true;
    };
    return {
      jobs: taken.map((entry) => entry.job),
      settle: (untouched) => {
        if (!close()) return;
        const refused = new Set(untouched);
        for (const entry of taken) entry.resolve(this.#outcomeOf(entry.job.id, refused));
      },
      giveBack: () => {
        if (!close()) return;
        this.#queue.push(...taken);
        this.#startDrain();
      },
    };
  }

  #startDrain(): void {
    if (this.#writing) return;
    this.#writing = true;
    this.#drained = this.#drain();
  }

  /** Writes every queued result now and resolves when all are stored (or abandoned). */
  async flush(): Promise<void> {
    this.#hurry();
    while (this.#writing) await this.#drained;
  }

  /** Ends the gathering wait of the queued results. */
  #hurry(): void {
    this.#hurried = true;
    this.#gathering.wakeAll();
  }

  async #drain(): Promise<void> {
    // After a batch fails for a reason other than the database being away,
    // rows go one at a time until that batch is through, so one bad row
    // cannot hold back the others.
    let singlesLeft = 0;
    try {
      while (this.#queue.length > 0) {
        if (!this.#hurried) await this.#gathering.sleep(GATHER_MS);
        this.#hurried = false;
        // Results taken meanwhile (`take`) may have emptied the queue.
        const batch = this.#queue.slice(0, singlesLeft > 0 ? 1 : BATCH_SIZE);
        if (batch.length === 0) continue;
        if (singlesLeft > 0) singlesLeft--;
        let outcomes: WriteOutcome[];
        this.#inFlight = batch.length;
        try {
          outcomes = await this.#write(batch.map((entry) => entry.job));
        } catch (error) {
          if (this.#retry.abandoned) outcomes = batch.map(() => "abandoned");
          else if (batch.length > 1) {
            singlesLeft = batch.length;
            continue;
          } else {
            degrade(batch[0].job, error);
            continue;
          }
          log.error("Results of jobs {ids} not stored, their rows stay 'running': {error}", {
            ids: batch.map((entry) => entry.job.id).join(", "),
            error: messageOf(error),
          });
        } finally {
          this.#inFlight = 0;
        }
        this.#queue.splice(0, batch.length);
        batch.forEach((entry, index) => entry.resolve(outcomes[index]));
      }
    } finally {
      // In the same step as the last look at the queue: a result queued from
      // now on starts a new drain.
      this.#writing = false;
    }
  }

  /**
   * Writes `jobs` in one store call, retried while the database is away (a
   * single row whose output was replaced already is retried whatever the
   * error); throws when the database refuses them, or once retries are
   * abandoned.
   */
  async #write(jobs: FinishedJob[]): Promise<WriteOutcome[]> {
    const refusedAnyway = jobs.length === 1 && isDegraded(jobs[0]);
    const untouched = new Set(
      await this.#retry.run(
        `store the results of ${describeJobs(jobs.map((job) => job.id))}`,
        async () => {
          try {
            const refused = await this.#store.markDone(jobs);
            this.#lastError = undefined;
            return refused;
          } catch (error) {
            this.#lastError = messageOf(error);
            throw error;
          }
        },
        () => refusedAnyway,
      ),
    );
    // A row an attempt wrote before its reply was lost is not among them:
    // the store knows it by the values written.
    return jobs.map((job) => this.#outcomeOf(job.id, untouched));
  }

  /** `stored`, or `untouched` (logged) when the store left the row alone. */
  #outcomeOf(id: number, untouched: ReadonlySet<number>): WriteOutcome {
    if (!untouched.has(id)) return "stored";
    log.warn("Result of job {id} not stored: the row is no longer 'running'", { id });
    return "untouched";
  }
}

/** The output stored instead of output the database refused. */
const REFUSED_OUTPUT_NOTE = "[jobd: the database refused this output]";

/** Whether the job's output was replaced already by {@linkcode degrade}. */
function isDegraded(job: FinishedJob): boolean {
  return job.outcome.stdout === REFUSED_OUTPUT_NOTE && job.outcome.stderr === REFUSED_OUTPUT_NOTE;
}

/**
 * Replaces the output of a result that the database refused for a reason
 * other than being away (the stores already narrow output a column cannot
 * hold), so the row still ends `done` with its result.
 */
function degrade(job: FinishedJob, error: unknown): void {
  log.error("Job {id}: the database refused its output ({error}); storing a note instead", {
    id: job.id,
    error: messageOf(error),
  });
  job.outcome.stdout = REFUSED_OUTPUT_NOTE;
  job.outcome.stderr = REFUSED_OUTPUT_NOTE;
}
