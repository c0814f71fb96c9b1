/** The operators' SQL operations of the MySQL store, one module each (see `../control_base.ts`). */

import type { ControlOperations } from "../control_base.ts";
import type { MysqlContext } from "./context.ts";
import { countJobs, countWaiting } from "./count_jobs.ts";
import { getJob } from "./get_job.ts";
import { insertJobs } from "./insert_jobs.ts";
import { listJobs } from "./list_jobs.ts";
import { readColumns } from "./read_columns.ts";
import { retryJobs } from "./retry_jobs.ts";

/** `jobs`, `job`, `stats`, `retry` and `add` on MySQL/MariaDB. */
export const mysqlControl: ControlOperations<MysqlContext> = {
  readColumns,
  listJobs,
  getJob,
  countJobs,
  countWaiting,
  retryJobs,
  insertJobs,
};
