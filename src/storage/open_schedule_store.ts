import type { WorkerConfig } from "../config/worker_config.ts";
import type { ScheduleStore } from "./schedule_store.ts";

/**
 * Opens the job board's store on the worker's database (`storage`): a
 * connection of its own beside the job store's. Throws a `StorageError`
 * when `jobd_schedules` is missing or lacks a column.
 */
export async function openScheduleStore(config: WorkerConfig): Promise<ScheduleStore> {
  const { storage } = config;
  switch (storage.kind) {
    case "mysql": {
      const { openMysqlScheduleStore } = await import("./mysql/schedules.ts");
      return await openMysqlScheduleStore(storage);
    }
    case "sqlite": {
      const { openSqliteScheduleStore } = await import("./sqlite/schedules.ts");
      return await openSqliteScheduleStore({ path: storage.path, table: storage.table });
    }
  }
}
