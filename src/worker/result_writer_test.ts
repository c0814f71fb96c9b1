import type { DelayedSummary } from "../storage/job_store.ts";
import { NO_TIME_FEATURES } from "../storage/time_columns.ts";
import assert from "node:assert/strict";
import type { FinishedJob, JobStore } from "../storage/job_store.ts";
import { ResultWriter } from "./result_writer.ts";

/** A store of `running` rows that only `markDone` touches; the other operations are not used. */
class RunningRows implements JobStore {
  readonly tracksOwner = false;
  readonly timeColumns = { columns: new Set<string>(), delayedStatus: false };
  readonly timeFeatures = NO_TIME_FEATURES;
  /** No time columns: nothing is ever delayed. */
  promoteDelayed(): Promise<number> {
    return Promise.resolve(0);
  }
  countDelayed(): Promise<Map<string, DelayedSummary>> {
    return Promise.resolve(new Map());
  }
  readonly done = new Map<number, FinishedJob>();
  /** Errors the next `markDone` calls throw, in order. */
  readonly failures: Error[] = [];
  /** The ids of each `markDone` call. */
  readonly batches: number[][] = [];
  #running: Set<number>;

  constructor(ids: number[]) {
    this.#running = new Set(ids);
  }

  markDone(jobs: readonly FinishedJob[]): Promise<number[]> {
    this.batches.push(jobs.map((job) => job.id));
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    const untouched: number[] = [];
    for (const job of jobs) {
      if (!this.#running.delete(job.id)) untouched.push(job.id);
      else this.done.set(job.id, job);
    }
    return Promise.resolve(untouched);
  }

  claimWaiting(): never {
    throw new Error("not used");
  }
  claimManual(): never {
    throw new Error("not used");
  }
  markRunning(): never {
    throw new Error("not used");
  }
  release(): never {
    throw new Error("not used");
  }
  findLeftBehind(): never {
    throw new Error("not used");
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function finished(id: number): FinishedJob {
  return {
    id,
    finishedAt: 1_700_000_000,
    outcome: { result: "ok", code: 0, signal: null, stdout: `out ${id}`, stderr: "" },
  };
}

Deno.test("results are stored and reported stored; a row no longer running is reported untouched", async () => {
  const store = new RunningRows([1, 2]);
  const writer = new ResultWriter(store);
  assert.deepEqual(
    await Promise.all([
      writer.write(finished(1)),
      writer.write(finished(2)),
      writer.write(finished(3)),
    ]),
    ["stored", "stored", "untouched"],
  );
  assert.deepEqual([...store.done.keys()], [1, 2]);
  assert.equal(writer.pending, 0);
});

Deno.test("a result queued just as the writer finishes its queue is written too", async () => {
  const store = new RunningRows([1, 2]);
  const writer = new ResultWriter(store);
  // The second write comes from the first one's continuation: the writer has
  // just emptied its queue and is about to stop.
  const second = writer.write(finished(1)).then(() => writer.write(finished(2)));
  assert.equal(await second, "stored");
  assert.deepEqual([...store.done.keys()], [1, 2]);
  await writer.flush();
  assert.equal(writer.pending, 0);
});

Deno.test("a write that fails while the database is away is retried until stored", async () => {
  const store = new RunningRows([1]);
  store.failures.push(Object.assign(new Error("connection lost"), { code: "ECONNRESET" }));
  const writer = new ResultWriter(store);
  assert.equal(await writer.write(finished(1)), "stored");
  assert.equal(store.done.get(1)?.outcome.stdout, "out 1");
});

Deno.test("results that end close together are written by one store call", async () => {
  const store = new RunningRows([1, 2, 3]);
  const writer = new ResultWriter(store);
  const first = writer.write(finished(1));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const rest = [writer.write(finished(2)), writer.write(finished(3))];
  assert.deepEqual(await Promise.all([first, ...rest]), ["stored", "stored", "stored"]);
  assert.deepEqual(store.batches, [[1, 2, 3]]);
});

Deno.test("an urgent result is written at once, with those already waiting", async () => {
  const store = new RunningRows([1, 2]);
  const writer = new ResultWriter(store);
  const waiting = writer.write(finished(1));
  const urgent = writer.write(finished(2), true);
  // A few turns of the microtask queue, far less than the gathering wait.
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  assert.deepEqual(store.batches, [[1, 2]]);
  assert.deepEqual(await Promise.all([waiting, urgent]), ["stored", "stored"]);
});
