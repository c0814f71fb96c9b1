/**
 * What SIGHUP does to a real `jobd`'s targets: it applies the `[targets]`
 * lines the file changed since it was last loaded, logging each change, and
 * leaves what `add-target`, `set-target-concurrency` and `remove-target` did
 * to the other targets.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
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
