import { getLogger } from "@logtape/logtape";
import type { FinishedJob, JobStore } from "../storage/job_store.ts";
import { isTransientStorageError } from "../storage/errors.ts";
import { Backoff } from "./backoff.ts";

const log = getLogger(["jobd", "worker", "results"]);

/** Most rows written by one `markDone` call. */
const BATCH_SIZE = 200;

interface QueuedResult {
  job: FinishedJob;
  resolve(stored: boolean): void;
  /** A write including this row failed: it may have committed all the same. */
  inDoubt?: boolean;
}

/**
 * Writes finished jobs to the store, in batches, and never gives up: a write
 * that fails is retried with backoff until the database takes it, while the
 * worker goes on running other jobs. `pending` is what still waits.
 */
export class ResultWriter {
  #store: JobStore;
  #queue: QueuedResult[] = [];
  #writing: Promise<void> | undefined;
  #backoff = new Backoff();

  constructor(store: JobStore) {
    this.#store = store;
  }

  /** Results not yet stored. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queues a result. Resolves true once stored, false when the row was no
   * longer `running` (changed under us; left untouched and logged).
   */
  write(job: FinishedJob): Promise<boolean> {
    return new Promise((resolve) => {
      this.#queue.push({ job, resolve });
      this.#writing ??= this.#drain().finally(() => this.#writing = undefined);
    });
  }

  /** Resolves when every queued result is stored. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #drain(): Promise<void> {
    // After a batch fails for a reason other than the database being away,
    // rows go one at a time until that batch is through, so one bad row
    // cannot hold back the others.
    let singlesLeft = 0;
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, singlesLeft > 0 ? 1 : BATCH_SIZE);
      if (singlesLeft > 0) singlesLeft--;
      try {
        const untouched = new Set(await this.#store.markDone(batch.map((entry) => entry.job)));
        this.#queue.splice(0, batch.length);
        this.#backoff.reset();
        for (const entry of batch) {
          // A row no longer 'running' after a failed attempt is most likely
          // that attempt's commit, whose reply was lost.
          const stored = !untouched.has(entry.job.id) || entry.inDoubt === true;
          if (!stored) {
            log.warn("Result of job {id} not stored: the row is no longer 'running'", {
              id: entry.job.id,
            });
          }
          entry.resolve(stored);
        }
      } catch (error) {
        for (const entry of batch) entry.inDoubt = true;
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
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/**
 * Makes a result that the database refused easier to store: first without
 * characters outside the Basic Multilingual Plane (a `utf8` column refuses
 * them), then with the output replaced by a note. False when nothing is left
 * to simplify.
 */
function degrade(job: FinishedJob): boolean {
  const { outcome } = job;
  const astral = /[\u{10000}-\u{10FFFF}]/gu;
  const hasAstral = (text: string) => /[\u{10000}-\u{10FFFF}]/u.test(text);
  if (hasAstral(outcome.stdout) || hasAstral(outcome.stderr)) {
    outcome.stdout = outcome.stdout.replace(astral, "\uFFFD");
    outcome.stderr = outcome.stderr.replace(astral, "\uFFFD");
    return true;
  }
  const note = "[jobd: the database refused this output]";
  if (outcome.stdout === note && outcome.stderr === note) return false;
  log.error("Job {id}: the database refused its output; storing a note instead", { id: job.id });
  outcome.stdout = note;
  outcome.stderr = note;
  return true;
}
