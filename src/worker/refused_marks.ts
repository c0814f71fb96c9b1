/**
 * Jobs whose running mark the database refused for a reason a retry cannot
 * fix (a trigger, a privilege, a value the row cannot take): they do not
 * start, and their rows go back from `accepted` to the status they were
 * claimed from. Not at once: a row released at once would be claimed again
 * by the next claim and refused again, in a loop as fast as the database
 * answers. Each row waits here (`accepted`, known to the worker, its slot
 * kept, so that no claim for the slot comes meanwhile) for a backoff of its
 * own, 1 s doubling to 60 s each time the same job is refused, and is then
 * released. Shutdown releases the rows still held at once.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClaimedJob } from "../job.ts";
import { Backoff, FAILING_TARGET_BACKOFF } from "../retry_policy.ts";
import { messageOf } from "../text.ts";
import type { Releaser } from "./release.ts";
import { Sleeper } from "./sleeper.ts";

const log = getLogger(["jobd", "worker"]);

/** Most jobs whose backoff is remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

/** Holds refused jobs for their backoff, then releases them. */
export class RefusedMarks {
  readonly #releaser: Releaser;
  readonly #backoffs = new Map<number, Backoff>();
  readonly #held = new Map<number, Promise<void>>();
  readonly #sleeper = new Sleeper();
  #stopped = false;

  constructor(releaser: Releaser) {
    this.#releaser = releaser;
  }

  /** Ids of the jobs held, not yet released. */
  ids(): IterableIterator<number> {
    return this.#held.keys();
  }

  /**
   * Logs the refusal of `job`'s running mark and releases its row after the
   * job's backoff (at once once stopped). Resolves once it is released (or
   * left, when the release fails too: logged).
   */
  hold(job: ClaimedJob, error: unknown): Promise<void> {
    let backoff = this.#backoffs.get(job.id);
    if (backoff === undefined) {
      backoff = new Backoff(FAILING_TARGET_BACKOFF);
      if (this.#backoffs.size >= MAX_REMEMBERED) {
        this.#backoffs.delete(this.#backoffs.keys().next().value!);
      }
      this.#backoffs.set(job.id, backoff);
    }
    const delay = this.#stopped ? 0 : backoff.next();
    log.error(
      "Job {id} not started: cannot mark it running: {error}; releasing it in {delay} ms",
      { id: job.id, error: messageOf(error), delay },
    );
    const released = (async () => {
      if (delay > 0) await this.#sleeper.sleep(delay);
      await this.#releaser.releaseOrLeave([job]);
      this.#held.delete(job.id);
    })();
    this.#held.set(job.id, released);
    return released;
  }

  /** `id`'s running mark went through: its next refusal starts the backoff over. */
  marked(id: number): void {
    this.#backoffs.delete(id);
  }

  /** Releases every held job now (shutdown); resolves once they are released. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleeper.wakeAll();
    await Promise.all(this.#held.values());
  }
}
