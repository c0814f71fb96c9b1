import { getLogger } from "@logtape/logtape";
import type { FinishedJob, JobStore } from "../storage/job_store.ts";
import { isTransientStorageError } from "../storage/errors.ts";
import { Backoff } from "./backoff.ts";
import { Sleeper } from "./sleeper.ts";

const log = getLogger(["jobd", "worker", "results"]);

/** Most rows written by one `markDone` call. */
const BATCH_SIZE = 200;

/**
 * How long a result that nobody waits for may wait for others to share its
 * write. Jobs that end close together are then stored by one statement
 * instead of one each; their slots are free already, so nothing waits on it.
 */
const GATHER_MS = 5;

/** What became of a result: stored, refused because the row was no longer `running`, or given up. */
export type WriteOutcome = "stored" | "untouched" | "abandoned";

interface QueuedResult {
  job: FinishedJob;
  resolve(outcome: WriteOutcome): void;
}

/**
 * Writes finished jobs to the store, in batches, and never gives up until
 * told to: a write that fails is retried with backoff until the database
 * takes it, while the worker goes on running other jobs. `pending` is what
 * still waits.
 */
export class ResultWriter {
  #store: JobStore;
  #queue: QueuedResult[] = [];
  /** True from the first queued result until the queue is empty again. */
  #writing = false;
  #drained: Promise<void> = Promise.resolve();
  #backoff = new Backoff();
  #abandoned = false;
  #sleeper = new Sleeper();
  /** Ends the current gathering wait early (see `GATHER_MS`). */
  #gathering = new Sleeper();
  #hurried = false;

  constructor(store: JobStore) {
    this.#store = store;
  }

  /** Results not yet stored. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues a result, written within `GATHER_MS` together with the results
   * queued meanwhile, or at once when `urgent`. Resolves `stored` once
   * stored, `untouched` when the row was no longer `running` (changed under
   * us; left untouched and logged), `abandoned` when a write failed after
   * `abandon()`.
   */
  write(job: FinishedJob, urgent = false): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      this.#queue.push({ job, resolve });
      if (urgent || this.#queue.length >= BATCH_SIZE) this.#hurry();
      if (!this.#writing) {
        this.#writing = true;
        this.#drained = this.#drain();
      }
    });
  }

  /** Writes every queued result now and resolves when all are stored (or abandoned). */
  async flush(): Promise<void> {
    this.#hurry();
    while (this.#writing) await this.#drained;
  }

  /**
   * Stops retrying: a result whose write fails from now on is given up (its
   * row stays `running`, for start-up recovery). For a shutdown that must
   * not wait any longer.
   */
  abandon(): void {
    this.#abandoned = true;
    this.#sleeper.wakeAll();
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
        const batch = this.#queue.slice(0, singlesLeft > 0 ? 1 : BATCH_SIZE);
        if (singlesLeft > 0) singlesLeft--;
        try {
          const untouched = new Set(await this.#store.markDone(batch.map((entry) => entry.job)));
          this.#queue.splice(0, batch.length);
          this.#backoff.reset();
          for (const entry of batch) {
            // A row an attempt wrote before its reply was lost is not among
            // them: the store knows it by the values written.
            const stored = !untouched.has(entry.job.id);
            if (!stored) {
              log.warn("Result of job {id} not stored: the row is no longer 'running'", {
                id: entry.job.id,
              });
            }
            entry.resolve(stored ? "stored" : "untouched");
          }
        } catch (error) {
          if (this.#abandoned) {
            this.#queue.splice(0, batch.length);
            log.error("Results of jobs {ids} not stored, their rows stay 'running': {error}", {
              ids: batch.map((entry) => entry.job.id).join(", "),
              error: String(error),
            });
            for (const entry of batch) entry.resolve("abandoned");
            continue;
          }
          if (!isTransientStorageError(error)) {
            if (batch.length > 1) {
              singlesLeft = batch.length;
              continue;
            }
            if (degrade(batch[0].job)) continue;
          }
          const delay = this.#backoff.next();
          const level = isTransientStorageError(error) ? "warn" : "error";
          log[level](
            "Cannot store {count} job result(s), retrying in {delay} ms: {error}",
            { count: batch.length, delay, error: String(error) },
          );
          await this.#sleeper.sleep(delay);
        }
      }
    } finally {
      // In the same step as the last look at the queue: a result queued from
      // now on starts a new drain.
      this.#writing = false;
    }
  }
}

/**
 * Replaces the output of a result that the database refused for a reason
 * other than being away (the stores already narrow output a column cannot
 * hold), so the row still ends `done` with its result. False when it was
 * replaced already.
 */
function degrade(job: FinishedJob): boolean {
  const { outcome } = job;
  const note = "[jobd: the database refused this output]";
  if (outcome.stdout === note && outcome.stderr === note) return false;
  log.error("Job {id}: the database refused its output; storing a note instead", { id: job.id });
  outcome.stdout = note;
  outcome.stderr = note;
  return true;
}
