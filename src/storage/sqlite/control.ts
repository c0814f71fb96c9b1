/** The operators' SQL operations of the SQLite store, one module each (see `../control_base.ts`). */

import type { ControlOperations } from "../control_base.ts";
import type { SqliteContext } from "./context.ts";
import { countJobs, countWaiting } from "./count_jobs.ts";
import { getJob } from "./get_job.ts";
import { insertJobs } from "./insert_jobs.ts";
import { listJobs } from "./list_jobs.ts";
import { readColumns } from "./read_columns.ts";
import { retryJobs } from "./retry_jobs.ts";

/** `jobs`, `job`, `stats`, `retry` and `add` on SQLite. */
export const sqliteControl: ControlOperations<SqliteContext> = {
  readColumns,
  listJobs,
  getJob,
  countJobs,
  countWaiting,
  retryJobs,
  insertJobs,
};
