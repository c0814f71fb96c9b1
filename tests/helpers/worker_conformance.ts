/**
 * The worker's behaviour that does not depend on its storage, defined once
 * and registered by each storage's worker tests on its own kind of table:
 *
 * ```ts
 * defineWorkerConformance("", () => openTestDatabase()); // worker_test.ts
 * defineWorkerConformance("sqlite worker: ", () => openTestSqliteDatabase());
 * ```
 */

import assert from "node:assert/strict";
import type { TestJobsTable } from "./jobs_table.ts";
import { startWorker, waitForDone } from "./worker.ts";

/**
 * Registers the tests, their names starting with `prefix`, each on a fresh
 * table from `openTable` (one without the `worker` column).
 */
export function defineWorkerConformance(
  prefix: string,
  openTable: () => Promise<TestJobsTable>,
): void {
  Deno.test(`${prefix}a poll runs waiting jobs and stores result, exit code, output and times`, async () => {
    await using db = await openTable();
    const ids = await db.insertJobs("t1", 3);
    const [other] = await db.insertJobs("t2", 1);
    const [manual] = await db.insertJobs("t1", 1, "manual");
    await using worker = await startWorker(db, { targets: { t1: 2, t2: 1 } });
    await worker.script(ids[1], 'echo "second"; echo "oops" >&2; exit 3');

    const before = Math.floor(Date.now() / 1000);
    await worker.client.poll(["t1"]);
    const rows = await waitForDone(db, ids);

    assert.deepEqual(
      rows.map((row) => [row.result, row.return_code, row.sig, row.stdout, row.stderr]),
      [
        ["ok", 0, null, `out ${ids[0]}\n`, `err ${ids[0]}\n`],
        ["fail", 3, null, "second\n", "oops\n"],
        ["ok", 0, null, `out ${ids[2]}\n`, `err ${ids[2]}\n`],
      ],
    );
    for (const row of rows) {
      assert.ok(row.time_started >= before - 1 && row.time_finished >= row.time_started);
    }
    const [untouchedOther, untouchedManual] = await db.rows([other, manual]);
    assert.equal(untouchedOther.status, "waiting", "a poll of t1 leaves t2 alone");
    assert.equal(untouchedManual.status, "manual", "a poll never claims manual rows");
  });

  Deno.test(`${prefix}run-manual reports each id: results, unknown ids, wrong status and unserved targets`, async () => {
    await using db = await openTable();
    await using worker = await startWorker(db, { targets: { t1: 1 } });
    const [good, failing] = await db.insertJobs("t1", 2, "manual");
    const [waiting] = await db.insertJobs("t1", 1, "waiting");
    const [foreign] = await db.insertJobs("elsewhere", 1, "manual");
    await worker.script(failing, "echo bad >&2; exit 2");

    const result = await worker.client.runManual([good, failing, waiting, foreign, 999999]);

    assert.deepEqual(result.jobs, {
      [good]: {
        result: "ok",
        code: 0,
        signal: null,
        stdout: `out ${good}\n`,
        stderr: `err ${good}\n`,
      },
      [failing]: { result: "fail", code: 2, signal: null, stdout: "", stderr: "bad\n" },
    });
    assert.deepEqual(result.errors, {
      [waiting]: "status = waiting != manual",
      [foreign]: `target 'elsewhere' not found (job id=${foreign})`,
      999999: "job 999999 not found",
    });
    const rows = await db.rows([good, failing, waiting, foreign]);
    assert.deepEqual(rows.map((row) => row.status), ["done", "done", "waiting", "ignored"]);
    assert.equal(rows[0].result, "ok", "the reply follows the final row write");
  });
}
