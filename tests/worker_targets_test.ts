/**
 * Target names and claims, on both stores: a target name that no row can
 * carry is refused where it enters (the config's `[targets]`, `add-target`)
 * with the reason, and a claim that fails for one target does not hold
 * back the others.
 */

import assert from "node:assert/strict";
import { MAX_WORKER_TARGETS } from "../src/protocol/limits.ts";
import { remoteRefusal } from "./helpers/assertions.ts";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import { freePort, waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase, type TestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone, workerConfig } from "./helpers/worker.ts";
import { runWorkerToExit } from "./helpers/worker_exit.ts";

/** A trigger that makes every claim of the target `bad` fail, and how to drop it. */
interface RefusingTrigger {
  create(): Promise<void>;
  drop(): Promise<void>;
}

function mysqlTrigger(db: TestDatabase): RefusingTrigger {
  return {
    create: async () => {
      await db.query(
        `CREATE TRIGGER refuse_bad BEFORE UPDATE ON ${db.table} FOR EACH ROW
           IF NEW.target = 'bad' AND NEW.status IN ('accepted', 'running') THEN
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rows of target bad cannot be claimed';
           END IF`,
      );
    },
    drop: async () => {
      await db.query("DROP TRIGGER refuse_bad");
    },
  };
}

function sqliteTrigger(db: TestSqliteDatabase): RefusingTrigger {
  return {
    create: async () => {
      await db.query(
        `CREATE TRIGGER refuse_bad BEFORE UPDATE OF status ON ${db.table} FOR EACH ROW
           WHEN NEW.target = 'bad' AND NEW.status IN ('accepted', 'running')
           BEGIN SELECT RAISE(ABORT, 'rows of target bad cannot be claimed'); END`,
      );
    },
    drop: async () => {
      await db.query("DROP TRIGGER refuse_bad");
    },
  };
}

function defineIsolationTest<T extends TestJobsTable>(
  prefix: string,
  openTable: () => Promise<T>,
  trigger: (db: T) => RefusingTrigger,
): void {
  Deno.test(`${prefix}a claim that fails for one target claims the others and retries that one alone`, async () => {
    await using db = await openTable();
    const refusing = trigger(db);
    await refusing.create();
    const [bad] = await db.insertJobs("bad", 1);
    const good = [...await db.insertJobs("t1", 2), ...await db.insertJobs("t2", 2)];
    await using worker = await startWorker(db, { targets: { bad: 1, t1: 1, t2: 1 } });

    await worker.client.poll();
    await waitForDone(db, good, 20);
    assert.equal((await db.rows([bad]))[0].status, "waiting");
    await waitFor(
      "the failing target named in the log",
      () => /Cannot claim jobs of target bad, retrying it in/.test(worker.process.stderrSoFar),
    );
    // The database's message, without the error's class name in front.
    assert.match(
      worker.process.stderrSoFar,
      /\(other targets go on\): [^\n]*rows of target bad cannot be claimed/,
    );
    assert.doesNotMatch(worker.process.stderrSoFar, /StorageError: /);

    // Once its claims work again, its backoff ends in a poll of its own.
    await refusing.drop();
    await waitForDone(db, [bad], 20);
    assert.match(worker.process.stderrSoFar, /Claims of target bad work again/);
  });
}

defineIsolationTest("mysql: ", () => openTestDatabase(), mysqlTrigger);
defineIsolationTest("sqlite: ", () => openTestSqliteDatabase(), sqliteTrigger);

Deno.test("mysql: add-target refuses names the utf8 char(16) target column cannot hold; claims go on", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const add = (target: string) => worker.client.addTarget(target, 1);

  assert.equal(
    await remoteRefusal(add("😀")),
    "invalid target name '😀': the column 'target' (char(16), utf8mb3) of the table 'jobs' " +
      "cannot hold U+1F600 '😀' (characters beyond U+FFFF, such as emoji, need utf8mb4)",
  );
  assert.equal(
    await remoteRefusal(add("a-very-long-target")),
    "invalid target name 'a-very-long-target': it has 18 characters, more than the 16 of the " +
      "column 'target' (char(16), utf8mb3) of the table 'jobs'",
  );
  assert.equal(
    await remoteRefusal(add("tab\there")),
    "invalid target name 'tab\there': it contains the control character U+0009",
  );
  assert.deepEqual(Object.keys((await worker.client.status()).targets), ["t1"]);

  const ids = await db.insertJobs("t1", 2);
  await worker.client.poll();
  await waitForDone(db, ids, 20);
});

Deno.test("sqlite: add-target refuses control, invisible and broken characters and names over 1024 characters", async () => {
  await using db = await openTestSqliteDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  const add = (target: string) => worker.client.addTarget(target, 1);
  assert.equal(
    await remoteRefusal(add("bell\u0007")),
    "invalid target name 'bell\\x07': it contains the control character U+0007",
  );
  assert.match(
    await remoteRefusal(add("t\u202E1")),
    /^invalid target name 't\\u202e1': it contains U\+202E, an invisible format character /,
  );
  assert.equal(
    await remoteRefusal(add("half\ud83d")),
    "invalid target name 'half\ud83d': it contains U+D83D, half of a character",
  );
  assert.equal(
    await remoteRefusal(add("x".repeat(2000))),
    `invalid target name '${"x".repeat(2000)}': it has 2000 characters, more than the 1024 a ` +
      "target name may have",
  );
  // The SQLite column holds any text: an emoji is a name like any other.
  await worker.client.addTarget("😀", 1);
  const [id] = await db.insertJobs("😀", 1);
  await worker.client.poll(["😀"]);
  await waitForDone(db, [id], 20);
});

Deno.test("mysql: a [targets] name the target column cannot hold stops the worker at start-up, naming it", async () => {
  await using db = await openTestDatabase();
  const [id] = await db.insertJobs("t1", 1, "manual");
  const dir = await Deno.makeTempDir({ prefix: "jobd-targets-" });
  try {
    const configPath = `${dir}/jobd.conf`;
    await Deno.writeTextFile(
      configPath,
      workerConfig(db, freePort(), dir, { targets: { t1: 1, "😀": 1 } }),
    );
    const { code, stderr } = await runWorkerToExit(configPath);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /\[ERR\] jobd·daemon: Cannot start: The target '😀' in \[targets\] cannot match a row: the column 'target' \(char\(16\), utf8mb3\) of the table 'jobs' cannot hold U\+1F600/,
    );
    assert.equal((await db.rows([id]))[0].status, "manual");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mysql: a reloaded [targets] with a name the column cannot hold changes nothing", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  await Deno.writeTextFile(
    worker.configPath,
    workerConfig(db, worker.port, worker.jobDir, { targets: { t1: 1, t2: 1, "😀": 1 } }),
  );
  worker.process.kill("SIGHUP");
  await waitFor(
    "the refused reload",
    () =>
      /Config reload failed, keeping the running config: The target '😀' in \[targets\] cannot match a row/
        .test(worker.process.stderrSoFar),
  );
  assert.deepEqual(Object.keys((await worker.client.status()).targets), ["t1"]);
  const ids = await db.insertJobs("t1", 1);
  await worker.client.poll();
  await waitForDone(db, ids, 20);
});

Deno.test("add-target beyond MAX_WORKER_TARGETS targets is refused naming the limit; the worker goes on", async () => {
  await using db = await openTestSqliteDatabase();
  const targets = Object.fromEntries(
    Array.from({ length: MAX_WORKER_TARGETS - 1 }, (_, i) => [`t${i + 1}`, 1]),
  );
  await using worker = await startWorker(db, { targets });
  await worker.client.addTarget("last", 1);
  assert.equal(
    await remoteRefusal(worker.client.addTarget("one-more", 1)),
    `cannot add target 'one-more': this worker serves ${MAX_WORKER_TARGETS} targets, at most ` +
      `${MAX_WORKER_TARGETS}`,
  );
  const served = Object.keys((await worker.client.status()).targets);
  assert.equal(served.length, MAX_WORKER_TARGETS);
  assert.ok(!served.includes("one-more"));
  // Room again once a target goes.
  await worker.client.removeTarget("t1");
  await worker.client.addTarget("one-more", 1);
  const ids = await db.insertJobs("one-more", 1);
  await worker.client.poll(["one-more"]);
  await waitForDone(db, ids, 30);
});

/** The lines of `output` at `level` (`ERR`, `DBG`...) that match `pattern`. */
function linesAt(output: string, level: string, pattern: RegExp): string[] {
  return output.split("\n").filter((line) => line.includes(`[${level}]`) && pattern.test(line));
}

for (const withTimeColumns of [false, true]) {
  const claims = withTimeColumns ? "with deferred jobs" : "without time columns";
  Deno.test(`sqlite: a jobs table gone is one error per failing claim until it is back (${claims}), then one warning`, async () => {
    await using db = await openTestSqliteDatabase({ withTimeColumns });
    await using worker = await startWorker(db, { config: { log_level_console: "debug" } });
    await db.query(`ALTER TABLE ${db.table} RENAME TO gone`);
    await worker.client.poll(["t1"]);
    const output = () => worker.process.stderrSoFar;
    const failure = /Cannot claim jobs/;
    // Retried with backoff: the repeats are at debug.
    await waitFor(
      "a retry of the failed claim",
      () => linesAt(output(), "DBG", failure).length >= 2,
    );
    assert.equal(linesAt(output(), "ERR", failure).length, 1, output());
    assert.match(linesAt(output(), "ERR", failure)[0], /no such table/);

    await db.query(`ALTER TABLE gone RENAME TO ${db.table}`);
    const [id] = await db.insertJobs("t1", 1);
    await worker.client.poll(["t1"]);
    await waitForDone(db, [id], 30);
    assert.match(output(), /\[WRN\] [^\n]*Claims (of target t1 )?work again, after failing for /);
    assert.equal(linesAt(output(), "ERR", failure).length, 1, output());
  });
}
