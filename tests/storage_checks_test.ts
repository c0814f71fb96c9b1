/**
 * What each store checks when it opens, before the worker reads or changes
 * a row: that its database user may update the table, and that the
 * `status` and `result` columns can hold every value jobd writes. Each is
 * an error naming the table and what is missing.
 */

import assert from "node:assert/strict";
import { StorageError } from "../src/storage/errors.ts";
import { openMysqlStore } from "../src/storage/mysql_store.ts";
import { openSqliteStore } from "../src/storage/sqlite_store.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";

Deno.test("mysql: a database user without UPDATE on the table is found at open, naming it", async () => {
  await using db = await openTestDatabase();
  const user = `jobd_ro_${crypto.randomUUID().slice(0, 8)}`;
  await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'secret-ro'`);
  try {
    await db.query(`GRANT SELECT ON \`${db.database}\`.* TO '${user}'@'%'`);
    await assert.rejects(
      openMysqlStore({ ...db.storeOptions("w"), user, password: "secret-ro" }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^Cannot use the table 'jobs' of database '${db.database}': the worker's database ` +
              "user needs SELECT and UPDATE on it \\(and on its columns\\): UPDATE command " +
              `denied to user '${user}'`,
          ),
        );
        return true;
      },
    );
    // With UPDATE granted, the same user opens the store.
    await db.query(`GRANT UPDATE ON \`${db.database}\`.* TO '${user}'@'%'`);
    await using store = await openMysqlStore({
      ...db.storeOptions("w"),
      user,
      password: "secret-ro",
    });
    assert.equal(store.tracksOwner, false);
  } finally {
    await db.query(`DROP USER '${user}'@'%'`);
  }
});

Deno.test("mysql: a status enum without a status jobd writes is found at open, naming the status", async () => {
  await using db = await openTestDatabase();
  await db.query(
    "ALTER TABLE jobs MODIFY status enum('waiting','manual','accepted','running','done') " +
      "NOT NULL DEFAULT 'waiting'",
  );
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    new StorageError(
      `Cannot use the table 'jobs' of database '${db.database}': its column 'status' ` +
        "(enum('waiting','manual','accepted','running','done')) cannot hold the status " +
        "'ignored' that jobd writes",
    ),
  );
});

Deno.test("mysql: a status column too short for the statuses is found at open", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY status varchar(7) NOT NULL DEFAULT 'waiting'");
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    /its column 'status' \(varchar\(7\)\) cannot hold the status 'accepted' that jobd writes/,
  );
});

Deno.test("mysql: a result enum without 'fail' is found at open", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY result enum('ok') DEFAULT NULL");
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    new StorageError(
      `Cannot use the table 'jobs' of database '${db.database}': its column 'result' ` +
        "(enum('ok')) cannot hold the result 'fail' that jobd writes",
    ),
  );
});

Deno.test("mysql: an attempts column that cannot count to 65535 is found at open, naming its type", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  await db.query("ALTER TABLE jobs MODIFY attempts tinyint(3) UNSIGNED NOT NULL DEFAULT 0");
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    new StorageError(
      `Cannot use the table 'jobs' of database '${db.database}': its column 'attempts' ` +
        "(tinyint(3) unsigned) holds at most 255, and jobd counts attempts up to 65535: " +
        "make it smallint(5) unsigned or wider",
    ),
  );
  await db.query("ALTER TABLE jobs MODIFY attempts smallint(5) NOT NULL DEFAULT 0");
  await assert.rejects(
    openMysqlStore(db.storeOptions("w")),
    /'attempts' \(smallint\(5\)\) holds at most 32767,/,
  );
  // schema.sql's type, and wider ones, open.
  for (const type of ["smallint(5) UNSIGNED", "int(10)"]) {
    await db.query(`ALTER TABLE jobs MODIFY attempts ${type} NOT NULL DEFAULT 0`);
    await using store = await openMysqlStore(db.storeOptions("w"));
    assert.equal(store.timeFeatures.retries, true);
  }
});

Deno.test("sqlite: a status CHECK without a status jobd writes is found at open, naming the statuses", async () => {
  await using db = await openTestSqliteDatabase();
  await db.query(
    `CREATE TABLE narrow_jobs (
       id INTEGER PRIMARY KEY, target TEXT NOT NULL, time_created INTEGER NOT NULL,
       time_started INTEGER NOT NULL DEFAULT 0, time_finished INTEGER NOT NULL DEFAULT 0,
       status TEXT NOT NULL DEFAULT 'waiting'
         CHECK (status IN ('waiting', 'manual', 'accepted', 'running')),
       result TEXT, return_code INTEGER, sig TEXT, stdout TEXT, stderr TEXT)`,
  );
  await assert.rejects(
    openSqliteStore({ ...db.storeOptions("w"), table: "narrow_jobs" }),
    new StorageError(
      `Cannot use the table 'narrow_jobs' of SQLite file '${db.path}': its column 'status' ` +
        "(CHECK IN (waiting, manual, accepted, running)) cannot hold the statuses " +
        "'done', 'ignored' that jobd writes",
    ),
  );
  // The schema file's table passes.
  await using store = await openSqliteStore(db.storeOptions("w"));
  assert.equal(store.tracksOwner, false);
});
