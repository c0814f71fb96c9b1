/** The operators' operations of the SQLite store on a temporary file: the shared suite. */

import { openSqliteStore } from "../src/storage/sqlite_store.ts";
import { quoteIdentifier } from "../src/storage/sqlite/identifier.ts";
import { openTestSqliteDatabase, sqliteSchema } from "./helpers/sqlite_database.ts";
import { defineJobControlConformance } from "./storage_control_conformance.ts";

defineJobControlConformance("sqlite", async ({ delayed }) => {
  const db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const table = quoteIdentifier(db.table);
  try {
    if (delayed) {
      // SQLite cannot change a CHECK constraint: the table is made again with 'delayed' in it.
      const schema = (await sqliteSchema({ table: db.table, withWorkerColumn: true }))
        .replace("'ignored')", "'ignored', 'delayed')");
      await db.query(`DROP TABLE ${table}`);
      for (const statement of statements(schema)) await db.query(statement);
      await db.query(`ALTER TABLE ${table} ADD COLUMN time_run_at INTEGER NOT NULL DEFAULT 0`);
    }
    await db.query(`ALTER TABLE ${table} ADD COLUMN priority INTEGER NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE ${table} ADD COLUMN note VARCHAR(8)`);
    await db.query(`ALTER TABLE ${table} ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0`);
    const store = await openSqliteStore(db.storeOptions("w1"));
    return {
      store,
      where: `table '${db.table}' of SQLite file '${db.path}'`,
      enforcesLengths: false,
      table,
      insert: (target, count, status) => db.insertJobs(target, count, status),
      query: (sql, ...params) => db.query(sql, ...params),
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

/** The statements of a schema text, comments left out. */
function statements(schema: string): string[] {
  return schema.split("\n").filter((line) => !line.trimStart().startsWith("--")).join("\n")
    .split(";").map((statement) => statement.trim()).filter((statement) => statement !== "");
}
