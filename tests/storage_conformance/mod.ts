/**
 * The behaviour every `JobStore` keeps, as one suite each implementation
 * runs with its own fixture; one module per store operation:
 *
 * ```ts
 * defineJobStoreConformance("mysql", async ({ workerName, withWorkerColumn, withTimeColumns }) => {
 *   const db = await openTestDatabase({ withWorkerColumn, withTimeColumns });
 *   return await storeFixture(db, {
 *     workerName,
 *     where: `table '${db.table}' of database '${db.database}'`,
 *     open: (name) => openMysqlStore(db.storeOptions(name)),
 *   });
 * });
 * ```
 *
 * A fixture is an empty jobs table (with the optional `worker` column and
 * the optional time columns, as each test asks), a store on it under
 * `workerName`, and direct access to the rows (inserting, reading, setting
 * columns as an application would) that does not go through the store. The
 * time columns' operations have their modules: time_features,
 * promote_delayed, count_delayed, mark_retry (`markDone` with `retryAt`).
 * The operators' operations (`store.control`) have their own part,
 * `defineJobControlConformance`, with a fixture that also runs SQL on the
 * table (control_fixture.ts).
 *
 * @module
 */

import { claimManualConformance } from "./claim_manual.ts";
import { claimManualStartingConformance } from "./claim_manual_starting.ts";
import { claimStartingConformance } from "./claim_starting.ts";
import { claimWaitingConformance } from "./claim_waiting.ts";
import { closeConformance } from "./close.ts";
import { controlAddConformance } from "./control_add.ts";
import { controlCloseConformance } from "./control_close.ts";
import type { ControlConformanceTest, OpenControlFixture } from "./control_fixture.ts";
import { controlJobConformance } from "./control_job.ts";
import { controlJobsConformance } from "./control_jobs.ts";
import { controlRetryConformance } from "./control_retry.ts";
import { controlStatsConformance } from "./control_stats.ts";
import { countDelayedConformance } from "./count_delayed.ts";
import { findLeftBehindConformance } from "./find_left_behind.ts";
import { type ConformanceTest, type OpenStoreFixture, WORKER } from "./fixture.ts";
export type { ControlFixture, OpenControlFixture } from "./control_fixture.ts";
import { markDoneConformance } from "./mark_done.ts";
import { markRetryConformance } from "./mark_retry.ts";
import { markRunningConformance } from "./mark_running.ts";
import { pingConformance } from "./ping.ts";
import { markRunningAndDoneConformance } from "./mark_running_and_done.ts";
import { promoteDelayedConformance } from "./promote_delayed.ts";
import { releaseConformance } from "./release.ts";
import { timeFeaturesConformance } from "./time_features.ts";

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
        withTimeColumns: options.withTimeColumns ?? false,
      });
      await body(fixture);
    });
  };
  claimWaitingConformance(test);
  claimStartingConformance(test);
  claimManualConformance(test);
  claimManualStartingConformance(test);
  markRunningConformance(test);
  markDoneConformance(test);
  markRunningAndDoneConformance(test);
  releaseConformance(test);
  findLeftBehindConformance(test);
  closeConformance(test);
  timeFeaturesConformance(test);
  promoteDelayedConformance(test);
  countDelayedConformance(test);
  markRetryConformance(test);
  pingConformance(test);
}

/**
 * Registers the tests of the operators' operations (`store.control`), named
 * `NAME: control: ...`, for a store that has them; see control_fixture.ts
 * for the table the fixture makes.
 */
export function defineJobControlConformance(name: string, open: OpenControlFixture): void {
  const test: ControlConformanceTest = (title, options, body) => {
    Deno.test(`${name}: control: ${title}`, async () => {
      await using fixture = await open({ delayed: options.delayed ?? false });
      await body(fixture);
    });
  };
  controlAddConformance(test);
  controlJobsConformance(test);
  controlJobConformance(test);
  controlStatsConformance(test);
  controlRetryConformance(test);
  controlCloseConformance(test);
}
