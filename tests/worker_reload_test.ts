/**
 * What SIGHUP does to a real `jobd`'s targets: it applies the `[targets]`
 * lines the file changed since it was last loaded, logging each change, and
 * leaves what `add-target`, `set-target-concurrency` and `remove-target` did
 * to the other targets. A removal refused while the target has jobs is said
 * in the reload's line and tried again later, unless a request changed the
 * target since.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import { type ProgramProcess, waitFor } from "./helpers/processes.ts";
import { startWorker, type TestWorker, waitForDone, workerConfig } from "./helpers/worker.ts";

/** Waits for a line of stderr matching `pattern` and returns it. */
function lineMatching(process: ProgramProcess, pattern: RegExp): Promise<string> {
  return waitFor(
    `a line matching ${pattern}`,
    () => process.stderrSoFar.split("\n").find((line) => pattern.test(line)),
    60,
  );
}

/** Each served target's concurrency, as `status` answers. */
async function served(worker: TestWorker): Promise<Record<string, number>> {
  const { targets } = await worker.client.status();
  return Object.fromEntries(Object.entries(targets).map(([name, t]) => [name, t.concurrency]));
}

Deno.test("SIGHUP with the file unchanged keeps targets added, resized and removed by request", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { build: 2, old: 1 } });
  await worker.client.addTarget("extra", 1);
  await worker.client.setTargetConcurrency("build", 5);
  await worker.client.removeTarget("old");

  worker.process.kill("SIGHUP");
  await lineMatching(worker.process, /Config reloaded from \S+: nothing changed$/);
  assert.deepEqual(await served(worker), { build: 5, extra: 1 });
  assert.doesNotMatch(worker.process.stderrSoFar, /\(config reload/);
  // extra is served: its jobs run.
  const ids = await db.insertJobs("extra", 1);
  await worker.client.poll(["extra"]);
  await waitForDone(db, ids);
});

Deno.test("SIGHUP applies a concurrency changed in the file and keeps a target added by request", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { build: 2, mail: 1 } });
  await worker.client.addTarget("extra", 1);
  await worker.client.setTargetConcurrency("mail", 3);

  await Deno.writeTextFile(
    worker.configPath,
    workerConfig(db, worker.port, worker.jobDir, { targets: { build: 4, mail: 1 } }),
  );
  worker.process.kill("SIGHUP");
  await lineMatching(
    worker.process,
    /Config reloaded from \S+: 1 change: target build: concurrency 2 -> 4$/,
  );
  await lineMatching(
    worker.process,
    /\[INF\] jobd·worker: Target build: concurrency 2 -> 4 \(config reload\)$/,
  );
  assert.deepEqual(await served(worker), { build: 4, mail: 3, extra: 1 });
});

Deno.test("SIGHUP removes a target dropped from the file and logs it", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { build: 2, mail: 1 } });
  await worker.client.addTarget("extra", 1);

  await Deno.writeTextFile(
    worker.configPath,
    workerConfig(db, worker.port, worker.jobDir, { targets: { build: 2 } }),
  );
  worker.process.kill("SIGHUP");
  await lineMatching(
    worker.process,
    /\[INF\] jobd·worker: Target mail removed, its concurrency was 1 \(config reload\)$/,
  );
  await lineMatching(worker.process, /Config reloaded from \S+: 1 change: target mail removed$/);
  assert.deepEqual(await served(worker), { build: 2, extra: 1 });
});

/** A job script that runs until `$JOB_DIR/go` exists. */
const WAIT_FOR_GO = 'while [ ! -e "$JOB_DIR/go" ]; do sleep 0.05; done';

/**
 * A worker serving build and mail, whose one mail job runs until its `go`
 * file exists, reloaded with mail dropped from the file: the removal is
 * refused, and the reload's line says so. Resolves once that line is logged.
 */
async function removalRefused(db: TestJobsTable, worker: TestWorker): Promise<number> {
  const [id] = await db.insertJobs("mail", 1);
  await worker.script(id, WAIT_FOR_GO);
  await worker.client.poll(["mail"]);
  await waitFor("the mail job running", async () => (await db.rows([id]))[0].status === "running");
  await Deno.writeTextFile(
    worker.configPath,
    workerConfig(db, worker.port, worker.jobDir, { targets: { build: 2 } }),
  );
  worker.process.kill("SIGHUP");
  await lineMatching(
    worker.process,
    /Config reloaded from \S+: 1 change: target mail: removal refused \(1 job queued or running\), tried again at the next reload$/,
  );
  return id;
}

/** Lets the held job `id` end, and waits until its target has no job left. */
async function letGo(db: TestJobsTable, worker: TestWorker, id: number): Promise<void> {
  await Deno.writeTextFile(`${worker.jobDir}/go`, "");
  await waitForDone(db, [id]);
  await waitFor(
    "mail with no job",
    async () => (await worker.client.status()).targets.mail?.length === 0,
  );
}

Deno.test("SIGHUP says a removal it refused, and says it once a later reload removes the target", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { build: 2, mail: 1 } });
  const id = await removalRefused(db, worker);
  assert.doesNotMatch(worker.process.stderrSoFar, /target mail removed/);
  assert.deepEqual(await served(worker), { build: 2, mail: 1 });

  await letGo(db, worker, id);
  worker.process.kill("SIGHUP");
  await lineMatching(
    worker.process,
    /Config reloaded from \S+: 1 change: target mail removed \(left over from an earlier reload\)$/,
  );
  assert.deepEqual(await served(worker), { build: 2 });
});

Deno.test("SIGHUP leaves a target whose removal it refused as set-target-concurrency made it since", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { targets: { build: 2, mail: 1 } });
  const id = await removalRefused(db, worker);
  await worker.client.setTargetConcurrency("mail", 3);

  await letGo(db, worker, id);
  worker.process.kill("SIGHUP");
  await lineMatching(worker.process, /Config reloaded from \S+: nothing changed$/);
  assert.deepEqual(await served(worker), { build: 2, mail: 3 });
});
