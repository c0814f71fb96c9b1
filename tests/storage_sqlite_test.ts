/**
 * The SQLite store on a temporary file per test: the shared conformance
 * suite (the operators' operations too), then what is particular to SQLite
 * (the file and table checks, WAL mode, applications in other processes
 * writing while the store claims, quoting, the requeue of running rows).
 */

import assert from "node:assert/strict";
import { configure, reset } from "@logtape/logtape";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import {
  classifyStorageError,
  isTransientStorageError,
  StorageError,
} from "../src/storage/errors.ts";
import { describeSqliteError, openSqliteStore } from "../src/storage/sqlite_store.ts";
import { claimSelectSql } from "../src/storage/sqlite/claim_waiting.ts";
import { SqliteConnection, WAL_SIZE_LIMIT_BYTES } from "../src/storage/sqlite/connection.ts";
import type { SqliteContext } from "../src/storage/sqlite/context.ts";
import { countDelayed, countDelayedSql } from "../src/storage/sqlite/count_delayed.ts";
import { DELAYED_COUNT_LIMIT } from "../src/protocol/requests.ts";
import { lockSqliteWorkerName } from "../src/storage/sqlite/name_lock.ts";
import { NameTakenError } from "../src/storage/name_lock.ts";
import { quoteIdentifier } from "../src/storage/sqlite/identifier.ts";
import { promoteDelayedSql } from "../src/storage/sqlite/promote_delayed.ts";
import { ROOT } from "./helpers/processes.ts";
import { openTestSqliteDatabase, sqliteSchema } from "./helpers/sqlite_database.ts";
import {
  defineJobControlConformance,
  defineJobStoreConformance,
  storageError,
  storeFixture,
} from "./storage_conformance/mod.ts";
import { finished } from "./storage_conformance/fixture.ts";

defineJobStoreConformance("sqlite", async ({ workerName, withWorkerColumn, withTimeColumns }) => {
  const db = await openTestSqliteDatabase({ withWorkerColumn, withTimeColumns });
  return await storeFixture(db, {
    workerName,
    where: `table '${db.table}' of SQLite file '${db.path}'`,
    open: (name) => openSqliteStore(db.storeOptions(name)),
  });
});

// The operators' operations on a table with the application's own columns
// (tests/storage_conformance/control_fixture.ts).
defineJobControlConformance("sqlite", async ({ delayed }) => {
  const db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const table = quoteIdentifier(db.table);
  try {
    if (!delayed) {
      // The schema file allows 'delayed'; SQLite cannot change a CHECK constraint, so the table
      // of an older schema, without it, is made again.
      const schema = await sqliteSchema({ table: db.table, withWorkerColumn: true });
      assert.ok(schema.includes(", 'delayed')"), "the schema file's status CHECK has 'delayed'");
      // The file's other table (the job board's) is made again with it.
      await db.query(`DROP TABLE ${table}`);
      await db.query(`DROP TABLE IF EXISTS "jobd_schedules"`);
      for (const statement of statements(schema.replace(", 'delayed')", ")"))) {
        await db.query(statement);
      }
    } else {
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

/** The stand-in application (tests/fixtures/sqlite_app.ts) as another process. */
function startApplication(
  mode: "insert" | "hold",
  args: { path: string; table: string; target: string; count: number },
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write",
      `${ROOT}tests/fixtures/sqlite_app.ts`,
      mode,
      args.path,
      args.table,
      args.target,
      String(args.count),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  let buffered = "";
  return {
    /** The next line the application printed. */
    async line(): Promise<string> {
      while (!buffered.includes("\n")) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`The application exited; it printed '${buffered}'`);
        buffered += value;
      }
      const end = buffered.indexOf("\n");
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      return line;
    },
    /** Sends a line (for `hold`: commit now). */
    async send(text: string): Promise<void> {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(`${text}\n`));
      writer.releaseLock();
    },
    /** Waits for exit; resolves to the exit code, everything printed after the last line read, and stderr. */
    async finished(): Promise<{ code: number; rest: string; stderr: string }> {
      await child.stdin.close().catch(() => {});
      let rest = buffered;
      for await (const chunk of lines) rest += chunk;
      const stderr = await new Response(child.stderr).text();
      return { code: (await child.status).code, rest, stderr };
    },
  };
}

/** Resolves true if `promise` has settled by the time a `delay` ms timer fires. */
async function settledWithin(promise: Promise<unknown>, delay: number): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, delay));
  return settled;
}

Deno.test("sqlite: the store switches the file to WAL mode, which the file keeps", async () => {
  await using db = await openTestSqliteDatabase();
  const journal = async () => (await db.query("PRAGMA journal_mode"))[0].journal_mode;
  assert.equal(await journal(), "delete", "a new file starts with a rollback journal");
  await using _store = await openSqliteStore(db.storeOptions("w"));
  const other = new DatabaseSync(db.path);
  try {
    assert.equal(other.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
  } finally {
    other.close();
  }
});

Deno.test("sqlite: after a job's huge output, the -wal file shrinks back to the limit", async () => {
  await using db = await openTestSqliteDatabase();
  await using store = await openSqliteStore(db.storeOptions("w"));
  const [big, small] = await db.insertJobs("build", 2);
  await store.claimWaiting(new Map([["build", 2]]));
  assert.deepEqual(await store.markRunning([big, small], 1_700_000_000), []);
  const huge = "x".repeat(WAL_SIZE_LIMIT_BYTES + 8 * 1024 * 1024);
  // The commit's automatic checkpoint copies the row into the database; the
  // next write starts the -wal file over, and cuts it back.
  assert.deepEqual(await store.markDone([finished(big, { stdout: huge })]), []);
  const walSize = () => Deno.statSync(`${db.path}-wal`).size;
  assert.ok(walSize() > WAL_SIZE_LIMIT_BYTES, "the big write went through the -wal file");
  assert.deepEqual(await store.markDone([finished(small)]), []);
  assert.ok(walSize() <= WAL_SIZE_LIMIT_BYTES, `the -wal file has ${walSize()} bytes`);
  assert.equal((await db.rows()).find((row) => row.id === big)?.stdout, huge);
});

Deno.test("sqlite: an application inserting in another process while the store claims loses no row", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const app = startApplication("insert", {
    path: db.path,
    table: db.table,
    target: "build",
    count: 300,
  });
  const firstId = Number(await app.line());

  const claimed: number[] = [];
  let appDone = false;
  const appExit = app.finished().then((result) => {
    appDone = true;
    return result;
  });
  // Claim while the application inserts, until it has finished and nothing is left.
  for (;;) {
    const jobs = await store.claimWaiting(new Map([["build", 5]]));
    claimed.push(...jobs.map((job) => job.id));
    if (jobs.length === 0) {
      if (appDone) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  const { code, rest, stderr } = await appExit;
  assert.equal(code, 0, `the application failed: ${stderr}`);
  const inserted = [firstId, ...rest.trim().split("\n").map(Number)];
  assert.equal(inserted.length, 300);
  assert.deepEqual([...claimed].sort((a, b) => a - b), inserted, "each row claimed exactly once");
  assert.ok((await db.rows()).every((row) => row.status === "accepted" && row.worker === "w"));
});

Deno.test("sqlite: a claim waits for an application's write lock without blocking the process", async () => {
  await using db = await openTestSqliteDatabase();
  await using store = await openSqliteStore(db.storeOptions("w"));
  const [before] = await db.insertJobs("build", 1);
  const app = startApplication("hold", {
    path: db.path,
    table: db.table,
    target: "build",
    count: 2,
  });
  const locked = await app.line();
  const inserted = locked.replace(/^locked /, "").split(" ").map(Number);

  const claim = store.claimWaiting(new Map([["build", 10]]));
  // Timers still fire while the claim waits: the worker would go on serving requests.
  assert.equal(await settledWithin(claim, 200), false, "the claim waits for the lock");
  await app.send("commit");
  assert.equal(await app.line(), "committed");

  assert.deepEqual((await claim).map((job) => job.id), [before, ...inserted]);
  assert.equal((await app.finished()).code, 0);
});

Deno.test("sqlite: a lock held longer than the busy timeout is a transient error naming the job", async () => {
  await using db = await openTestSqliteDatabase();
  await using store = await openSqliteStore({ ...db.storeOptions("w"), busyTimeoutMs: 300 });
  const [id] = await db.insertJobs("build", 1);
  await store.claimWaiting(new Map([["build", 1]]));
  const app = startApplication("hold", {
    path: db.path,
    table: db.table,
    target: "build",
    count: 1,
  });
  await app.line();

  const error = await store.markRunning([id], 1_700_000_000).catch((error: unknown) => error);
  await app.send("commit");
  assert.equal((await app.finished()).code, 0);

  assert.ok(error instanceof StorageError, `expected a StorageError, got ${error}`);
  assert.equal(
    error.message,
    `Cannot mark job ${id} running in table 'jobs' of SQLite file '${db.path}': ` +
      "another connection kept the database locked for more than 300 ms",
  );
  assert.equal(isTransientStorageError(error), true, "the worker retries it");
  assert.deepEqual(await store.markRunning([id], 1_700_000_000), [], "and the retry works");
});

Deno.test("sqlite: a full disk is an outage, retried until space is freed, not a refused write", async () => {
  await using db = await openTestSqliteDatabase();
  const [id] = await db.insertJobs("build", 1);
  // A page limit makes SQLite answer as on a full disk: SQLITE_FULL.
  const full = new DatabaseSync(db.path);
  try {
    const pages = Number(full.prepare("PRAGMA page_count").get()?.page_count);
    full.exec(`PRAGMA max_page_count = ${pages}`);
    let driverError: unknown;
    try {
      full.prepare("UPDATE jobs SET stdout = ? WHERE id = ?").run("x".repeat(1 << 20), id);
    } catch (error) {
      driverError = error;
    }
    assert.equal((driverError as { errcode?: number }).errcode, 13, String(driverError));
    const error = new StorageError("Cannot mark job done", { cause: driverError });
    // An outage: the result writer retries it, keeping the job's output.
    assert.equal(classifyStorageError(error), "outage");
  } finally {
    full.close();
  }
});

Deno.test("sqlite: a database SQLite can only read names the file's directory, where WAL needs to write", async () => {
  await using db = await openTestSqliteDatabase();
  // What SQLite answers when the worker's user may not write the file or its directory.
  const readOnly = new DatabaseSync(db.path, { readOnly: true });
  let driverError: unknown;
  try {
    readOnly.prepare("UPDATE jobs SET stdout = NULL").run();
  } catch (error) {
    driverError = error;
  } finally {
    readOnly.close();
  }
  assert.equal(
    describeSqliteError(driverError, { path: db.path }),
    "attempt to write a readonly database (the worker's user must be able to write the file and " +
      `its directory '${db.dir}', where SQLite creates 'jobs.db-wal' and 'jobs.db-shm')`,
  );
});

Deno.test("sqlite: a worker name locked through the file's path is taken for a path through a symbolic link too", async () => {
  await using db = await openTestSqliteDatabase();
  const link = `${db.dir}/link.db`;
  await Deno.symlink(db.path, link);
  const options = { table: db.table, workerName: "w", address: "127.0.0.1:1" };
  const lock = await lockSqliteWorkerName({ ...options, path: db.path });
  try {
    await assert.rejects(lockSqliteWorkerName({ ...options, path: link }), NameTakenError);
  } finally {
    await lock.release();
  }
  const again = await lockSqliteWorkerName({ ...options, path: link });
  await again.release();
});

Deno.test("sqlite: a row id beyond ±(2^53 - 1) (an application's explicit id) stays waiting and stops no claim", async () => {
  await using db = await openTestSqliteDatabase();
  await using store = await openSqliteStore(db.storeOptions("w"));
  // -(2^63 - 1): read as a JavaScript number, it would be -2^63, and no UPDATE would find it.
  const negative = "-9223372036854775807";
  await db.query(
    "INSERT INTO jobs (id, target, time_created) VALUES (?, 'build', 0)",
    BigInt(negative),
  );
  const [small] = await db.insertJobs("build", 1);
  const huge = "1152921504606846977"; // 2^60 + 1: read as a JavaScript number, it would be 2^60
  await db.query(
    "INSERT INTO jobs (id, target, time_created) VALUES (?, 'build', 0)",
    BigInt(huge),
  );
  // AUTOINCREMENT goes on from there.
  const [next] = await db.query(
    "INSERT INTO jobs (target, time_created) VALUES ('build', 0) RETURNING CAST(id AS TEXT) AS id",
  );

  const claimed = await store.claimWaiting(new Map([["build", 10]]));
  assert.deepEqual(claimed.map((job) => job.id), [small]);
  const left = await db.query(
    "SELECT CAST(id AS TEXT) AS id, status FROM jobs WHERE id > ? ORDER BY id",
    small,
  );
  assert.deepEqual(
    left.map((row) => [row.id, row.status]),
    [[huge, "waiting"], [next.id, "waiting"]],
    "the rows above the limit wait for the operator",
  );
  const [below] = await db.query("SELECT status FROM jobs WHERE id = ?", BigInt(negative));
  assert.equal(below.status, "waiting", "so does the row below its negative");
});

Deno.test("sqlite: ping fails, saying so, once the file is replaced or removed under the store", async () => {
  await using db = await openTestSqliteDatabase();
  await using store = await openSqliteStore(db.storeOptions("w"));
  await store.ping();
  // A deploy that creates the database afresh: the store's connection keeps the old file.
  const fresh = `${db.dir}/fresh.db`;
  const app = new DatabaseSync(fresh);
  app.exec(await sqliteSchema({ table: "jobs", withWorkerColumn: false }));
  app.close();
  await Deno.rename(fresh, db.path);
  await assert.rejects(
    store.ping(),
    new StorageError(
      `Cannot reach the jobs in table 'jobs' of SQLite file '${db.path}': the file was replaced ` +
        "since the worker opened it: the worker still uses the old one (restart it)",
    ),
  );
  await Deno.remove(db.path);
  await assert.rejects(store.ping(), /the file was removed since the worker opened it/);
});

Deno.test("sqlite: a file replaced or removed under the store is logged once per change, saying to restart", async () => {
  const warnings: string[] = [];
  await configure({
    sinks: {
      lines: (record) => {
        if (record.level === "warning") warnings.push(record.message.map(String).join(""));
      },
    },
    loggers: [
      { category: ["jobd", "storage"], sinks: ["lines"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
    reset: true,
  });
  try {
    await using db = await openTestSqliteDatabase();
    await using store = await openSqliteStore(db.storeOptions("w"));
    await store.ping();
    await Deno.copyFile(db.path, `${db.dir}/copy.db`);
    await Deno.rename(`${db.dir}/copy.db`, db.path);
    for (let i = 0; i < 3; i++) await assert.rejects(store.ping(), /was replaced/);
    await Deno.remove(db.path);
    for (let i = 0; i < 3; i++) await assert.rejects(store.ping(), /was removed/);
    assert.deepEqual(warnings, [
      `The SQLite file '${db.path}' was replaced since the worker opened it: the worker still ` +
      "uses the old one, which applications no longer write to; restart the worker",
      `The SQLite file '${db.path}' was removed since the worker opened it: the worker still ` +
      "uses the removed one, which applications no longer write to; restart the worker",
    ]);
  } finally {
    await reset();
  }
});

Deno.test({
  name:
    "sqlite: a name lock file the worker's user cannot open (left by a run as root) is an error saying what to do",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using db = await openTestSqliteDatabase();
    const lock = await lockSqliteWorkerName({
      path: db.path,
      table: db.table,
      workerName: "w",
      address: "127.0.0.1:1",
    });
    await lock.release();
    const lockFile = [...Deno.readDirSync(db.dir)].find((entry) => entry.name.endsWith(".lock"));
    assert.ok(lockFile, "the lock file is beside the database");
    await Deno.chmod(`${db.dir}/${lockFile.name}`, 0o600);
    await Deno.chmod(db.dir, 0o777);
    await Deno.chmod(db.path, 0o666);
    // The same lock taken as another user (nobody), in a process of its own.
    const script = `
      import { lockSqliteWorkerName } from ${
      JSON.stringify(import.meta.resolve("../src/storage/sqlite/name_lock.ts"))
    };
      try {
        await lockSqliteWorkerName({ path: ${JSON.stringify(db.path)}, table: ${
      JSON.stringify(db.table)
    }, workerName: "w", address: "127.0.0.1:2" });
      } catch (error) { console.log(error.message); }
    `;
    const output = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", Deno.execPath(), "eval", script],
      env: { DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno` },
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.match(text, /cannot open the lock file '.*': .*made by a worker run as another user/);
  },
});

Deno.test("sqlite: a missing file is an error naming it, and no file is created", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/missing.db`;
    await assert.rejects(
      openSqliteStore({ path, table: "jobs", workerName: "w" }),
      new StorageError(
        `Cannot open the SQLite file '${path}': it does not exist (create it and its jobs ` +
          "table with examples/schema.sqlite.sql)",
      ),
    );
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    await assert.rejects(
      openSqliteStore({ path: dir, table: "jobs", workerName: "w" }),
      new StorageError(`Cannot open the SQLite file '${dir}': it is not a file`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqlite: a missing table is an error naming the table, the file and the schema", async () => {
  await using db = await openTestSqliteDatabase();
  const error = await storageError(
    openSqliteStore({ ...db.storeOptions("w"), table: "no_such_jobs" }),
  );
  assert.equal(
    error.message,
    `Cannot use the table 'no_such_jobs' of SQLite file '${db.path}': it does not exist ` +
      "(create it with examples/schema.sqlite.sql)",
  );
  assert.equal(isTransientStorageError(error), false);
});

Deno.test("sqlite: a table without a required column is an error naming the columns", async () => {
  await using db = await openTestSqliteDatabase();
  await db.query("ALTER TABLE jobs DROP COLUMN sig");
  await db.query("ALTER TABLE jobs DROP COLUMN stderr");
  await assert.rejects(
    openSqliteStore(db.storeOptions("w")),
    new StorageError(
      `Cannot use the table 'jobs' of SQLite file '${db.path}': it has no columns 'sig', 'stderr'`,
    ),
  );
});

Deno.test("sqlite: a file that is not a database is an error naming it", async () => {
  await using db = await openTestSqliteDatabase();
  const path = `${db.dir}/notes.txt`;
  await Deno.writeTextFile(path, "not a database, just some text ".repeat(100));
  await assert.rejects(
    openSqliteStore({ path, table: "jobs", workerName: "w" }),
    (error: unknown) =>
      error instanceof StorageError &&
      error.message.startsWith(
        `Cannot open the job store on the table 'jobs' of SQLite file '${path}': `,
      ) &&
      /not a database/.test(error.message),
  );
});

Deno.test("sqlite: a table name with quotes, backticks and spaces is used as-is", async () => {
  const table = `odd"name'; DROP TABLE x; -- \`jobs\``;
  await using db = await openTestSqliteDatabase({ table, withWorkerColumn: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const ids = await db.insertJobs("build", 2);
  assert.equal(store.tracksOwner, true);
  assert.deepEqual((await store.claimWaiting(new Map([["build", 5]]))).map((job) => job.id), ids);
  assert.deepEqual(await store.markRunning([ids[0]], 1_700_000_000), []);
  const tables = await db.query(
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' " +
      "AND name != 'jobd_schedules'", // the schema's optional board table
  );
  assert.deepEqual(tables.map((row) => row.name), [table]);
});

Deno.test("sqlite: the schema refuses statuses and results outside the enums", async () => {
  await using db = await openTestSqliteDatabase();
  await assert.rejects(
    db.query("INSERT INTO jobs (target, time_created, status) VALUES ('build', 1, 'queued')"),
    /CHECK constraint failed: status/,
  );
  await assert.rejects(
    db.query("INSERT INTO jobs (target, time_created, result) VALUES ('build', 1, 'maybe')"),
    /CHECK constraint failed: result/,
  );
  const [row] = await db.query(
    "INSERT INTO jobs (target, time_created) VALUES ('build', 1) RETURNING *",
  );
  assert.deepEqual({ ...row }, {
    id: row.id,
    target: "build",
    time_created: 1,
    time_started: 0,
    time_finished: 0,
    status: "waiting",
    result: null,
    return_code: null,
    sig: null,
    stdout: null,
    stderr: null,
  });
});

Deno.test("sqlite: a delayed row whose time_run_at is no unix time is due at once, in id order", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  const now = 1_700_000_000;
  const [text, later, infinite, due, blob] = await db.insertJobs("build", 5, "delayed");
  // What an application may leave in an INTEGER column of SQLite.
  await db.query("UPDATE jobs SET time_run_at = 'tomorrow' WHERE id = ?", text);
  await db.query("UPDATE jobs SET time_run_at = ? WHERE id = ?", now + 3600, later);
  await db.query("UPDATE jobs SET time_run_at = 9e999 WHERE id = ?", infinite);
  await db.query("UPDATE jobs SET time_run_at = ? WHERE id = ?", now - 10, due);
  await db.query("UPDATE jobs SET time_run_at = x'01' WHERE id = ?", blob);

  // Counted as due now, so the worker's timer fires at once.
  assert.deepEqual(
    await store.countDelayed(["build"]),
    new Map([["build", { count: 5, next: 0 }]]),
  );
  assert.equal(await store.promoteDelayed(["build"], now, 2), 2);
  assert.deepEqual((await db.rows([text, later, infinite])).map((row) => row.status), [
    "waiting",
    "delayed",
    "waiting",
  ]);
  assert.equal(await store.promoteDelayed(["build"], now, 10), 2);
  assert.deepEqual((await db.rows([later, due, blob])).map((row) => row.status), [
    "delayed",
    "waiting",
    "waiting",
  ]);
  assert.deepEqual(
    await store.countDelayed(["build"]),
    new Map([["build", { count: 1, next: now + 3600 }]]),
  );
});

Deno.test("sqlite: an integer beyond JavaScript's exact range (a time in nanoseconds) stops no claim or count", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  await using store = await openSqliteStore(db.storeOptions("w"));
  // An application that wrote nanoseconds, and one that wrote a huge timeout: SQLite keeps
  // both, and node:sqlite throws on reading an integer over 2^53 unless asked for a bigint.
  const nanoseconds = 1_764_000_000_000_000_000n;
  const [delayed] = await db.insertJobs("build", 1, "delayed");
  await db.query("UPDATE jobs SET time_run_at = ? WHERE id = ?", nanoseconds, delayed);
  const [waiting] = await db.insertJobs("build", 1);
  await db.query("UPDATE jobs SET timeout = ? WHERE id = ?", 2n ** 62n, waiting);

  assert.deepEqual(
    await store.countDelayed(["build"]),
    new Map([["build", { count: 1, next: Number(nanoseconds) }]]),
    "the delayed row is far in the future",
  );
  assert.equal(await store.promoteDelayed(["build"], 1_800_000_000, 10), 0);
  const [claimed] = await store.claimWaiting(new Map([["build", 5]]));
  assert.equal(claimed.id, waiting);
  // The worker's check of the column logs it and reads it as the largest it takes.
  assert.equal(claimed.row?.timeout, 2 ** 62);
  assert.equal(
    (await store.control?.getJob(delayed))?.job.status,
    "delayed",
    "jobctl show reads it",
  );
});

Deno.test("sqlite: with many future delayed rows, the claim and the promotion read only their index ranges", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  const future = 1_700_003_600;
  await db.query(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) " +
      "INSERT INTO jobs (target, time_created, status, time_run_at) " +
      "SELECT 'build', 0, 'delayed', ? + i % 100 FROM n",
    future,
  );
  await db.insertJobs("build", 5);
  await db.query("ANALYZE");
  const plan = async (sql: string, ...params: (string | number)[]) =>
    (await db.query(`EXPLAIN QUERY PLAN ${sql}`, ...params)).map((row) => String(row.detail));

  const claim = await plan(claimSelectSql('"jobs"'), "build", 10);
  assert.deepEqual(claim, [
    "SEARCH jobs USING COVERING INDEX status_target_idx (status=? AND target=? AND id>? AND id<?)",
  ]);
  const promote = await plan(
    promoteDelayedSql('"jobs"'),
    '["build"]',
    future - 1,
    '["build"]',
    '["build"]',
    100,
  );
  // Its due rows and those whose time is infinity, text or a blob: ranges of the time index.
  // (Its `IS NULL` part may show as a scan: on a NOT NULL column SQLite knows it matches
  // nothing and never runs it.)
  for (const range of ["time_run_at<\\?", "time_run_at>\\?"]) {
    const search = new RegExp(`^SEARCH jobs USING COVERING INDEX status_target_run_idx .*${range}`);
    assert.ok(promote.some((line) => search.test(line)), promote.join("\n"));
  }
});

/** A real connection that counts the statements it runs. */
class CountingConnection extends SqliteConnection {
  statements = 0;
  override get(sql: string, ...params: SQLInputValue[]) {
    this.statements++;
    return super.get(sql, ...params);
  }
  override all(sql: string, ...params: SQLInputValue[]) {
    this.statements++;
    return super.all(sql, ...params);
  }
}

Deno.test("sqlite: the delayed rows of 10,000 targets are counted by one statement, through the time index", async () => {
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  // Two delayed rows of each of 10,000 targets, 10,050 of 'big' (counted up to the limit).
  await db.query(
    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) " +
      "INSERT INTO jobs (target, time_created, status, time_run_at) " +
      "SELECT 't' || (i / 2), 0, 'delayed', 1700000000 + i FROM n",
  );
  await db.query(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050) " +
      "INSERT INTO jobs (target, time_created, status, time_run_at) " +
      "SELECT 'big', 0, 'delayed', 1700000000 FROM n",
  );
  await db.query("ANALYZE");
  const targets = ["big", ...Array.from({ length: 10_000 }, (_, i) => `t${i}`), "none"];
  const connection = new CountingConnection(db.path);
  try {
    const context: SqliteContext = {
      connection,
      table: '"jobs"',
      workerName: "w",
      tracksOwner: false,
      time: { columns: new Set(["time_run_at"]), delayedStatus: true },
    };
    const summaries = countDelayed(context, targets);
    assert.equal(connection.statements, 1);
    assert.equal(summaries.size, 10_001);
    assert.deepEqual(summaries.get("big"), { count: DELAYED_COUNT_LIMIT, next: 1_700_000_000 });
    assert.deepEqual(summaries.get("t4321"), { count: 2, next: 1_700_008_642 });
    assert.equal(summaries.has("none"), false);

    const plan = connection.all(`EXPLAIN QUERY PLAN ${countDelayedSql('"jobs"')}`, "[]")
      .map((row) => String(row.detail));
    const reads = plan.filter((detail) => /\bjobs\b/.test(detail));
    assert.ok(reads.length >= 4, plan.join("\n"));
    for (const read of reads) {
      assert.match(
        read,
        /^SEARCH jobs (EXISTS )?USING COVERING INDEX status_target_run_idx \(status=\? AND target=\?/,
      );
    }
  } finally {
    connection.close();
  }
});
