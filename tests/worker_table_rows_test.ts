/**
 * What careless rows in the jobs table do to a real worker: applications insert rows themselves, so
 * every value the worker reads from a row may be outside what jobd writes. A bad row never stops
 * the worker or the other jobs of its target, and the worker says which job and which column.
 */

import assert from "node:assert/strict";
import { openTestDatabase, type TestDatabase } from "./helpers/database.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";
import { waitFor } from "./helpers/processes.ts";
import { remoteRefusal } from "./helpers/assertions.ts";

Deno.test("rows whose id is beyond ±(2^53 - 1) stay waiting, hold back no other job, and are named at start-up", async () => {
  await using db = await openTestDatabase();
  // A signed BIGINT holds ids from -2^63 to 2^63 - 1; jobd can tell apart ids up to 2^53 - 1.
  await db.query("ALTER TABLE jobs MODIFY id BIGINT NOT NULL AUTO_INCREMENT");
  const beyond = ["-9223372036854775808", "9007199254740993", "9223372036854775807"];
  await db.query(
    "INSERT INTO jobs (id, target, time_created) VALUES " +
      "(-9223372036854775808, 't1', 0), (3, 't1', 0), (4, 't1', 0), " +
      "(9007199254740993, 't1', 0), (9223372036854775807, 't1', 0)",
  );
  await using worker = await startWorker(db);
  await worker.client.poll(["t1"]);

  // The lowest id no longer fails every claim of its target: the others run.
  const done = await waitForDone(db, [3, 4], 30);
  assert.deepEqual(done.map((row) => row.stdout), ["out 3\n", "out 4\n"]);
  const left = await db.query(
    "SELECT CAST(id AS CHAR) AS id, status FROM jobs WHERE id NOT IN (3, 4) ORDER BY id",
  );
  assert.deepEqual(left.map((row) => [row.id, row.status]), beyond.map((id) => [id, "waiting"]));
  await worker.client.poll(["t1"]);
  const stderr = worker.process.stderrSoFar;
  const warnings = stderr.match(/has rows whose 'id' is beyond ±9007199254740991/g) ?? [];
  assert.equal(warnings.length, 1, "one warning, at start-up, not one per claim");
  assert.match(
    stderr,
    /\(job (-9223372036854775808|9007199254740993|9223372036854775807) is one\)/,
  );
  assert.match(stderr, /renumber or delete them and lower the table's AUTO_INCREMENT/);
  assert.doesNotMatch(stderr, /Cannot claim/);
});

/**
 * Runs a job with 200 KB of stdout and 100 lines of stderr on a table whose `stdout` is a TEXT
 * (64 KiB) and `stderr` a VARCHAR(100), and checks its final row: what fits, and a note.
 */
async function assertOutputCutToItsColumns(db: TestDatabase): Promise<void> {
  await db.query(
    "ALTER TABLE jobs MODIFY stdout text DEFAULT NULL, MODIFY stderr varchar(100) DEFAULT NULL",
  );
  await using worker = await startWorker(db);
  const [id] = await db.insertJobs("t1", 1);
  await worker.script(
    id,
    'i=0; while [ $i -lt 100 ]; do echo "warning $i" >&2; i=$((i+1)); done\n' +
      "head -c 200000 /dev/zero | tr '\\0' x",
  );
  await worker.client.poll(["t1"]);
  const [row] = await waitForDone(db, [id], 30);
  assert.deepEqual([row.result, row.return_code], ["ok", 0]);
  const stdoutNote = "\n[jobd: output cut to what its column 'stdout' (text) holds]";
  assert.equal(row.stdout, "x".repeat(65535 - stdoutNote.length) + stdoutNote);
  const stderrNote = "\n[jobd: output cut to what its column 'stderr' (varchar(100)) holds]";
  assert.ok(row.stderr?.startsWith("warning 0\nwarning 1\n"), row.stderr ?? "null");
  assert.ok(row.stderr?.endsWith(stderrNote), row.stderr ?? "null");
  assert.equal(row.stderr?.length, 100);
  // Stored at the first write: no retries, no refusal.
  assert.doesNotMatch(worker.process.stderrSoFar, /refused|retrying|not stored/);
}

Deno.test("a job with more output than its columns hold ends done, its output cut to fit with a note (strict sql_mode)", async () => {
  await using db = await openTestDatabase();
  const [{ mode }] = await db.query("SELECT @@GLOBAL.sql_mode AS mode");
  assert.match(String(mode), /STRICT_TRANS_TABLES/);
  await assertOutputCutToItsColumns(db);
});

Deno.test("a job with more output than its columns hold ends done, its output cut to fit with a note (sql_mode not strict)", async () => {
  // A server of its own: sql_mode is global, and other tests' servers stay strict.
  await using db = await openTestDatabase({ privateServer: true });
  await db.query("SET GLOBAL sql_mode = ''");
  await assertOutputCutToItsColumns(db);
});

Deno.test("a failed job whose attempts count is no whole number ends done, not retried for ever (sqlite)", async () => {
  // SQLite keeps whatever an application writes: 2.5 counts on as 3.5, 4.5, ... and would never
  // reach max_attempts.
  await using db = await openTestSqliteDatabase({ withTimeColumns: true });
  const [id] = await db.insertJobs("t1", 1);
  await db.query("UPDATE jobs SET attempts = 2.5 WHERE id = ?", id);
  await using worker = await startWorker(db, { config: { max_attempts: 3, retry_delay: 1 } });
  await worker.script(id, "false");
  await worker.client.poll(["t1"]);
  const [row] = await waitForDone(db, [id], 30);
  assert.deepEqual([row.result, row.return_code], ["fail", 1]);
  assert.deepEqual(await worker.events(), [`start ${id}`, `end ${id}`], "one run");
  assert.match(
    worker.process.stderrSoFar,
    new RegExp(
      `Job ${id}: its attempts value 2\\.5 is not a whole number ≥ 0; reading it as 65535`,
    ),
  );
});

Deno.test("a final write the table refuses for good is retried, logged as an error once, until it is taken", async () => {
  await using db = await openTestDatabase();
  await db.query(
    `CREATE TRIGGER refuse_done BEFORE UPDATE ON jobs FOR EACH ROW
       BEGIN
         IF NEW.status = 'done' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no job ends today';
         END IF;
       END`,
  );
  await using worker = await startWorker(db, { config: { log_level_console: "debug" } });
  const [id] = await db.insertJobs("t1", 1);
  await worker.client.poll(["t1"]);
  const retries = () =>
    worker.process.stderrSoFar.split("\n").filter((line) =>
      line.includes(`Cannot store the results of job ${id}, retrying in `)
    );
  await waitFor("three retries of the write", () => retries().length >= 3);
  const errors = retries().filter((line) => line.includes("[ERR]"));
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /no job ends today/);
  assert.equal((await db.rows([id]))[0].status, "running", "the result waits in the worker");

  await db.query("DROP TRIGGER refuse_done");
  const [row] = await waitForDone(db, [id], 30);
  assert.equal(row.result, "ok");
  assert.match(
    worker.process.stderrSoFar,
    new RegExp(`Could store the results of job ${id} after it was refused for `),
  );
});

Deno.test("run-manual on a row with a long target quotes the target cut, not whole", async () => {
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY target varchar(3000) CHARACTER SET latin1 NOT NULL");
  const [id] = await db.insertJobs("x".repeat(3000), 1, "manual");
  await using worker = await startWorker(db);
  const answer = await worker.client.runManual([id]);
  assert.deepEqual(answer.errors, {
    [id]: `target '${"x".repeat(2048)}…' not found (job id=${id})`,
  });
  assert.equal((await db.rows([id]))[0].status, "ignored");
});

Deno.test("a target name its latin1 target column cannot hold is refused, not claimed and failed for ever", async () => {
  // Its claims would fail with "Illegal mix of collations", every poll.
  await using db = await openTestDatabase();
  await db.query("ALTER TABLE jobs MODIFY target varchar(64) CHARACTER SET latin1 NOT NULL");
  await using worker = await startWorker(db, { targets: { t1: 1 } });
  assert.equal(
    await remoteRefusal(worker.client.addTarget("日本", 1)),
    "invalid target name '日本': the column 'target' (varchar(64), latin1) of the table 'jobs' " +
      "cannot hold U+65E5 '日'",
  );
  await worker.client.addTarget("Größe", 1);
  const [id] = await db.insertJobs("Größe", 1);
  await worker.client.poll(["Größe"]);
  assert.equal((await waitForDone(db, [id], 30))[0].result, "ok");
});

Deno.test("DECIMAL attempts and max_attempts columns count like integer ones: a failed job is retried up to its row's max", async () => {
  // mysql2 gives a DECIMAL's value as text ("1"), which read as no number left the job unretried.
  await using db = await openTestDatabase({ withTimeColumns: true });
  await db.query(
    "ALTER TABLE jobs MODIFY attempts DECIMAL(5,0) NOT NULL DEFAULT 0, " +
      "MODIFY max_attempts DECIMAL(5,0) NULL",
  );
  const [id] = await db.insertJobs("t1", 1);
  await db.query("UPDATE jobs SET max_attempts = 2 WHERE id = ?", [id]);
  await using worker = await startWorker(db, { config: { retry_delay: 0.1 } });
  await worker.script(id, "false");
  await worker.client.poll(["t1"]);
  const [row] = await waitForDone(db, [id], 30);
  const [{ attempts }] = await db.query("SELECT attempts FROM jobs WHERE id = ?", [id]);
  assert.deepEqual([row.result, Number(attempts)], ["fail", 2]);
  assert.deepEqual(await worker.events(), [`start ${id}`, `end ${id}`, `start ${id}`, `end ${id}`]);
  assert.doesNotMatch(worker.process.stderrSoFar, /not a whole number/);
});
