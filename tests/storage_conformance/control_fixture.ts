/**
 * The fixture of the operators' part of the storage conformance suite
 * (`store.control`: `jobs`, `job`, `stats`, `retry`, `add`), and the helpers
 * its modules share.
 *
 * The fixture's table is `examples/schema*.sql` with the `worker` column and
 * three columns an application might add: `priority` (integer, NOT NULL
 * DEFAULT 0), `note` (VARCHAR(8), NULL) and `attempts` (the optional column
 * of retries). With `delayed`, it also has the status `delayed` and the
 * column `time_run_at` of deferred jobs. The tests read and change the table
 * with SQL (`query`), so only the SQL stores run this part; the in-memory
 * store has no `control` (tests/storage_memory_test.ts says so).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { JobStatus } from "../../src/job.ts";
import type { JobControl } from "../../src/storage/job_control.ts";
import type { JobStore } from "../../src/storage/job_store.ts";

/** A jobs table and a store on it, for one test. */
export interface ControlFixture extends AsyncDisposable {
  readonly store: JobStore;
  /** The table as the store's errors name it. */
  readonly where: string;
  /** Whether the database refuses text longer than a column's declared length. */
  readonly enforcesLengths: boolean;
  /** Inserts `count` rows of `target` in `status`; returns their ids. */
  insert(target: string, count: number, status?: JobStatus): Promise<number[]>;
  /** Runs SQL on the table's database (`?` placeholders); resolves to the rows read. */
  query(sql: string, ...params: (string | number | null)[]): Promise<Record<string, unknown>[]>;
  /** The table's name, quoted for `query`. */
  readonly table: string;
}

/** Makes a fixture; with `delayed`, the table has `delayed` and `time_run_at`. */
export type OpenControlFixture = (options: { delayed: boolean }) => Promise<ControlFixture>;

/** Registers one test: its title, whether the table has `delayed`, its body. */
export type ControlConformanceTest = (
  title: string,
  options: { delayed?: boolean },
  body: (fixture: ControlFixture) => Promise<void>,
) => void;

/** Now, in unix seconds. */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** The store's operators' operations; fails the test when it has none. */
export function controlOf(store: JobStore): JobControl {
  assert.ok(store.control, "the store has the operators' operations");
  return store.control;
}

/** Claims, starts and ends rows of `target` through the store, one per outcome; returns their ids. */
export async function finish(
  store: JobStore,
  target: string,
  outcomes: { result: "ok" | "fail"; finishedAt: number }[],
): Promise<number[]> {
  const claimed = await store.claimWaiting(new Map([[target, outcomes.length]]));
  assert.equal(claimed.length, outcomes.length);
  const ids = claimed.map((job) => job.id);
  assert.deepEqual(await store.markRunning(ids, now() - 10), []);
  assert.deepEqual(
    await store.markDone(ids.map((id, index) => ({
      id,
      finishedAt: outcomes[index].finishedAt,
      outcome: {
        result: outcomes[index].result,
        code: outcomes[index].result === "ok" ? 0 : 3,
        signal: null,
        stdout: `out ${id}`,
        stderr: `err ${id}`,
      },
    }))),
    [],
  );
  return ids;
}
