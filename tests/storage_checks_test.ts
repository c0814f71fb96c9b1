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
import type { RowDataPacket } from "mysql2/promise";
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

Deno.test("mysql: columns too narrow for an exit code, a signal name or a unix time are found at open", async () => {
  // Each would refuse a job's final write for good: its row would stay 'running' with the
  // write retried for ever (strict mode), or hold another value than the job's.
  await using db = await openTestDatabase({ withTimeColumns: true });
  const where = `Cannot use the table 'jobs' of database '${db.database}'`;
  const refusals: [string, string][] = [
    [
      "return_code tinyint(4) DEFAULT NULL",
      `${where}: its column 'return_code' (tinyint(4)) holds at most 127, and exit codes go ` +
      "to 255: make it tinyint(3) unsigned or wider",
    ],
    [
      "sig char(4) DEFAULT NULL",
      `${where}: its column 'sig' (char(4)) holds 4 characters, and signal names such as ` +
      "'SIGSTKFLT' have 9: make it char(10) or wider",
    ],
    [
      "time_finished mediumint(8) UNSIGNED NOT NULL DEFAULT 0",
      `${where}: its column 'time_finished' (mediumint(8) unsigned) holds at most 16777215, ` +
      "and it holds a unix time: make it int(10) unsigned or wider",
    ],
    [
      "time_run_at smallint(5) UNSIGNED NOT NULL DEFAULT 0",
      `${where}: its column 'time_run_at' (smallint(5) unsigned) holds at most 65535, ` +
      "and it holds a unix time: make it int(10) unsigned or wider",
    ],
  ];
  const schema = await db.query<RowDataPacket[]>("SHOW CREATE TABLE jobs");
  for (const [column, message] of refusals) {
    await db.query(`ALTER TABLE jobs MODIFY ${column}`);
    await assert.rejects(openMysqlStore(db.storeOptions("w")), new StorageError(message));
    // Put back as schema.sql has it.
    const name = column.split(" ")[0];
    const original = String(schema[0]["Create Table"]).match(new RegExp(`\`${name}\` ([^,\n]+)`))!;
    await db.query(`ALTER TABLE jobs MODIFY ${name} ${original[1]}`);
  }
  // Wider types than schema.sql's, and a signed INT for a time, open.
  await db.query(
    "ALTER TABLE jobs MODIFY return_code smallint DEFAULT NULL, MODIFY sig varchar(32) " +
      "DEFAULT NULL, MODIFY time_finished int NOT NULL DEFAULT 0",
  );
  await using store = await openMysqlStore(db.storeOptions("w"));
  assert.equal(store.timeFeatures.retries, true);
});

Deno.test("mysql: a worker name its 'worker' column's character set cannot hold is found at open", async () => {
  // Claims would fail with "Illegal mix of collations" when they write the name.
  await using db = await openTestDatabase({ withWorkerColumn: true });
  await db.query("ALTER TABLE jobs MODIFY worker varchar(64) CHARACTER SET latin1 DEFAULT NULL");
  await assert.rejects(
    openMysqlStore(db.storeOptions("wörker-日本")),
    new StorageError(
      `Cannot use the table 'jobs' of database '${db.database}': the worker name ` +
        "'wörker-日本' has U+65E5 '日', which its column 'worker' (varchar(64), latin1) cannot " +
        "hold: name the worker otherwise, or make the column utf8mb4",
    ),
  );
  await using store = await openMysqlStore(db.storeOptions("wörker"));
  assert.equal(store.tracksOwner, true);
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
