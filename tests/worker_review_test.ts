/**
 * Worker behaviour at the edges: shutdown while requests wait, and requests
 * that must never take the daemon down.
 */

import assert from "node:assert/strict";
import { openTestDatabase } from "./helpers/database.ts";
import { waitFor } from "./helpers/processes.ts";
import { startWorker } from "./helpers/worker.ts";

Deno.test("a run-manual whose job outlasts the server's close wait still gets its result at SIGTERM", async () => {
  await using db = await openTestDatabase();
  await using worker = await startWorker(db, { config: { shutdown_timeout: 30 } });
  const [id] = await db.insertJobs("t1", 1, "manual");
  // Longer than the 5 s that closing the server gives requests being served.
  await worker.script(id, "sleep 6; echo finished");
  const call = worker.client.runManual([id]);
  await waitFor("the job running", async () => (await db.rows([id]))[0].status === "running");
  worker.process.kill("SIGTERM");
  assert.deepEqual((await call).jobs?.[id], {
    result: "ok",
    code: 0,
    signal: null,
    stdout: "finished\n",
    stderr: "",
  });
  assert.equal((await worker.process.finished()).status.code, 0);
});
