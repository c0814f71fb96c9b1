import type { WorkerConfig } from "../config/worker_config.ts";
import type { JobStore } from "./job_store.ts";
import { openMysqlStore } from "./mysql_store.ts";
import { openSqliteStore } from "./sqlite_store.ts";

/** Opens the store the worker's config names (`storage`). */
export function openJobStore(config: WorkerConfig): Promise<JobStore> {
  const { storage } = config;
  switch (storage.kind) {
    case "mysql":
      return openMysqlStore({ ...storage, workerName: config.name });
    case "sqlite":
      return openSqliteStore({ path: storage.path, table: storage.table, workerName: config.name });
  }
}
