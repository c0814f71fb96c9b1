/** The operators' operations of the MySQL store against a real MariaDB: the shared suite. */

import { openMysqlStore } from "../src/storage/mysql_store.ts";
import { quoteIdentifier } from "../src/storage/mysql/identifier.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { defineJobControlConformance } from "./storage_control_conformance.ts";

defineJobControlConformance("mysql", async ({ delayed }) => {
  const db = await openTestDatabase({ withWorkerColumn: true });
  const table = quoteIdentifier(db.table);
  try {
    await db.query(
      `ALTER TABLE ${table}
         ADD COLUMN priority INT NOT NULL DEFAULT 0,
         ADD COLUMN note VARCHAR(8) NULL,
         ADD COLUMN attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0`,
    );
    if (delayed) {
      await db.query(
        `ALTER TABLE ${table}
           MODIFY status enum('waiting','manual','accepted','running','done','ignored','delayed')
             NOT NULL DEFAULT 'waiting',
           ADD COLUMN time_run_at INT UNSIGNED NOT NULL DEFAULT 0`,
      );
    }
    const store = await openMysqlStore(db.storeOptions("w1"));
    return {
      store,
      where: `table '${db.table}' of database '${db.database}'`,
      enforcesLengths: true,
      table,
      insert: (target, count, status) => db.insertJobs(target, count, status),
      query: async (sql, ...params) => {
        const rows = await db.query(sql, params);
        return Array.isArray(rows) ? rows.map((row) => ({ ...row })) : [];
      },
      async [Symbol.asyncDispose]() {
        await store.close();
        await db[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
});
