import type { WorkerConfig } from "../config/worker_config.ts";
import type { JobStore } from "./job_store.ts";

/**
 * Opens the store the worker's config names (`storage`). Each store is
 * loaded only when chosen: the MySQL driver alone adds about 9 MB to the
 * worker's memory, which an SQLite worker does not need to pay.
 */
export async function openJobStore(config: WorkerConfig): Promise<JobStore> {
  const { storage } = config;
  switch (storage.kind) {
    case "mysql": {
      const { openMysqlStore } = await import("./mysql_store.ts");
      return openMysqlStore({ ...storage, workerName: config.name });
    }
    case "sqlite": {
      const { openSqliteStore } = await import("./sqlite_store.ts");
      return openSqliteStore({ path: storage.path, table: storage.table, workerName: config.name });
    }
  }
}
