/**
 * The fixture of the storage conformance suite: what each implementation
 * gives the suite (an empty jobs table, a store on it, direct access to the
 * rows), and the helpers the operations' test modules share.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageError } from "../../src/storage/errors.ts";
import type { JobStatus } from "../../src/job.ts";
import type { FinishedJob, JobStore } from "../../src/storage/job_store.ts";
import type { ColumnValue, JobRow, TestJobsTable } from "../helpers/jobs_table.ts";

/** An empty jobs table and a store on it, for one test. */
export interface StoreFixture extends AsyncDisposable {
  /** The store under test, claiming as `workerName`. */
  readonly store: JobStore;
  /** The table as the store's errors name it: `table 'jobs' of database 'jobd_test_…'`. */
  readonly where: string;
  /** Inserts `count` rows of `target` in `status` (default `waiting`); returns their ids, ascending. */
  insert(target: string, count: number, status?: JobStatus): Promise<number[]>;
  /** Reads rows by id (all rows when omitted), by id. */
  rows(ids?: readonly number[]): Promise<JobRow[]>;
  /** Sets columns of the rows `ids` as an application would (the optional time columns). */
  setColumns(ids: readonly number[], values: Record<string, ColumnValue>): Promise<void>;
  /** The values of `columns` of the rows `ids`, by id, each with its `id`. */
  readColumns(
    ids: readonly number[],
    columns: readonly string[],
  ): Promise<Record<string, unknown>[]>;
  /** Opens a second store on the same table under another worker name; closed with the fixture. */
  openPeer(workerName: string): Promise<JobStore>;
}

/**
 * Makes a fixture: a fresh table, with the optional owner column or without,
 * and with the optional time columns (`time_run_at`, `timeout`, `attempts`,
 * `max_attempts`, status `delayed`) or without.
 */
export type OpenStoreFixture = (options: {
  workerName: string;
  withWorkerColumn: boolean;
  withTimeColumns: boolean;
}) => Promise<StoreFixture>;

/** Options of `storeFixture`. */
export interface StoreFixtureOptions {
  /** The worker name of the store under test. */
  workerName: string;
  /** The table as the store's errors name it (`StoreFixture.where`). */
  where: string;
  /** Opens a store on the table under a worker name. */
  open: (workerName: string) => Promise<JobStore>;
}

/**
 * A fixture on the test table `db`, with stores that `options.open` makes.
 * Disposing it closes the stores, then `db`; so does a failure to open the
 * first store.
 */
export async function storeFixture(
  db: TestJobsTable,
  options: StoreFixtureOptions,
): Promise<StoreFixture> {
  const { workerName, where, open } = options;
  const stores: JobStore[] = [];
  try {
    stores.push(await open(workerName));
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
  return {
    store: stores[0],
    where,
    insert: (target, count, status) => db.insertJobs(target, count, status),
    rows: (ids) => db.rows(ids),
    setColumns: (ids, values) => db.setColumns(ids, values),
    readColumns: (ids, columns) => db.readColumns(ids, columns),
    async openPeer(peerName) {
      const peer = await open(peerName);
      stores.push(peer);
      return peer;
    },
    async [Symbol.asyncDispose]() {
      try {
        for (const store of stores) await store.close();
      } finally {
        await db[Symbol.asyncDispose]();
      }
    },
  };
}

/** The `StorageError` that `promise` rejects with; fails the test on a result or another error. */
export async function storageError(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    (result) => assert.fail(`expected a StorageError, got the result ${Deno.inspect(result)}`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof StorageError, `expected a StorageError, got ${error}`);
  return error;
}

/** The worker name of the store under test. */
export const WORKER = "worker-a";

/** A final row write of job `id`: `ok`, exit code 0, no output, unless overridden. */
export function finished(id: number, overrides: Partial<FinishedJob["outcome"]> = {}): FinishedJob {
  return {
    id,
    finishedAt: 1_700_000_100,
    outcome: { result: "ok", code: 0, signal: null, stdout: "", stderr: "", ...overrides },
  };
}

/**
 * Registers one conformance test: its title, whether the table has the
 * `worker` column and the time columns (both default false), its body.
 */
export type ConformanceTest = (
  title: string,
  options: { withWorkerColumn?: boolean; withTimeColumns?: boolean },
  body: (fixture: StoreFixture) => Promise<void>,
) => void;

/** Unix seconds, now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A failed attempt of job `id` (exit code 75, some output) to run again at `retryAt`. */
export function failedAttempt(
  id: number,
  retryAt: number,
  finishedAt = 1_700_000_200,
): FinishedJob {
  return {
    id,
    finishedAt,
    retryAt,
    outcome: { result: "fail", code: 75, signal: null, stdout: "out 1", stderr: "err 1" },
  };
}
