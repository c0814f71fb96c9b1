/**
 * The behaviour every `JobStore` keeps, as one suite each implementation
 * runs with its own fixture; one module per store operation:
 *
 * ```ts
 * defineJobStoreConformance("mysql", async ({ workerName, withWorkerColumn }) => {
 *   const db = await openTestDatabase({ withWorkerColumn });
 *   return await storeFixture(db, {
 *     workerName,
 *     where: `table '${db.table}' of database '${db.database}'`,
 *     open: (name) => openMysqlStore(db.storeOptions(name)),
 *   });
 * });
 * ```
 *
 * A fixture is an empty jobs table, a store on it under `workerName`, and
 * direct access to the rows (inserting, reading) that does not go through the
 * store.
 *
 * @module
 */

import { claimManualConformance } from "./claim_manual.ts";
import { claimWaitingConformance } from "./claim_waiting.ts";
import { closeConformance } from "./close.ts";
import { findLeftBehindConformance } from "./find_left_behind.ts";
import { type ConformanceTest, type OpenStoreFixture, WORKER } from "./fixture.ts";
import { markDoneConformance } from "./mark_done.ts";
import { markRunningConformance } from "./mark_running.ts";
import { releaseConformance } from "./release.ts";

export {
  type OpenStoreFixture,
  storageError,
  type StoreFixture,
  storeFixture,
  type StoreFixtureOptions,
} from "./fixture.ts";

/** Registers the conformance tests, named `NAME: ...`, for one implementation. */
export function defineJobStoreConformance(name: string, open: OpenStoreFixture): void {
  const test: ConformanceTest = (title, options, body) => {
    Deno.test(`${name}: ${title}`, async () => {
      await using fixture = await open({
        workerName: WORKER,
        withWorkerColumn: options.withWorkerColumn ?? false,
      });
      await body(fixture);
    });
  };
  claimWaitingConformance(test);
  claimManualConformance(test);
  markRunningConformance(test);
  markDoneConformance(test);
  releaseConformance(test);
  findLeftBehindConformance(test);
  closeConformance(test);
}
