/**
 * The job board through the master and jobctl: `schedules` merged from
 * every worker's board, `schedule-run` / `-pause` / `-resume` routed to a
 * worker that serves the schedule's target, and a schedule whose target no
 * worker serves reported as such.
 */

import assert from "node:assert/strict";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import {
  freePort,
  iniText,
  jobctl,
  masterClient,
  startDaemon,
  waitFor,
} from "./helpers/processes.ts";
import { startLinkedWorker, startMaster } from "./helpers/master.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";

Deno.test("jobctl --master schedules, schedule-run, -pause and -resume reach the right worker", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  const board = `${dir}/board.ini`;
  await Deno.writeTextFile(
    board,
    `[nightly]
target = build
cron = 0 3 * * *

[report]
target = report
cron = */15 * * * 1-5

[orphan]
target = nobody
every = 1h
`,
  );
  await using master = await startMaster({ config: { poke_throttle_interval: 0.1 } });
  const masterPort = master.port;
  const linked = (name: string, target: string) =>
    startLinkedWorker(db, master, name, { [target]: 1 }, { schedules: board });
  await using _w1 = await linked("w1", "build");
  await using w2 = await linked("w2", "report");
  const ctl = (...args: string[]) => jobctl("--master", "--port", String(masterPort), ...args);

  const listed = await ctl("schedules");
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.split("\n");
  assert.match(
    lines[0],
    /^NAME +\| TARGET +\| RULE +\| NEXT RUN +\| LAST RUN \| LAST JOB \| RUNS \| PAUSED \| WORKERS +\| NOTE$/,
  );
  assert.match(
    listed.stdout,
    /^nightly +\| build +\| cron 0 3 \* \* \* +\| \d{4}-\d\d-\d\d 03:00:00 UTC \| - +\| - +\| +0 \| no +\| w1, w2 +\| -$/m,
  );
  assert.match(listed.stdout, /^orphan +\| nobody .*\| no worker serves target 'nobody'$/m);

  const run = await ctl("schedule-run", "report");
  assert.equal(run.code, 0, run.stderr);
  const id = Number(run.stdout.match(/^Schedule 'report' inserted job (\d+)$/m)?.[1]);
  await waitForDone(db, [id]);
  assert.ok((await w2.events()).includes(`start ${id}`), "the worker serving 'report' ran it");

  assert.equal((await ctl("schedule-pause", "nightly")).code, 0);
  assert.match((await ctl("schedules")).stdout, /^nightly .*\| yes +\| w1, w2/m);
  assert.equal((await ctl("schedule-resume", "nightly")).code, 0);
  assert.match((await ctl("schedules")).stdout, /^nightly .*\| no +\| w1, w2/m);

  const orphan = await ctl("schedule-run", "orphan");
  assert.equal(orphan.code, 1);
  assert.match(orphan.stderr, /schedule 'orphan': no worker serves its target 'nobody'/);
  const missing = await ctl("schedule-pause", "nope");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /schedule 'nope' not found/);

  const direct = await jobctl("--port", String(w2.port), "schedules");
  assert.match(direct.stdout, /^report +\| report .*\| +0 \| no +\| -$/m);
  assert.match(direct.stdout, /^nightly .*\| this worker does not serve target 'build'$/m);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a row the board inserts while the firing worker is busy is claimed at once by another worker, poked through the master", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  const board = `${dir}/board.ini`;
  await Deno.writeTextFile(board, "; empty until both workers are linked\n");
  const masterPort = freePort();
  const master = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort, ping_interval: 1, poke_throttle_interval: 0.1 }),
    { port: masterPort },
  );
  await using _master = master.process;
  const link = { master_host: "127.0.0.1", master_port: masterPort, master_reconnect_timeout: 1 };
  // The firing worker's job holds its only slot until the test lets it go.
  const jobDir = await Deno.makeTempDir({ prefix: "jobd-jobs-" });
  const release = `${jobDir}/release`;
  await Deno.writeTextFile(
    `${jobDir}/default.sh`,
    `while [ ! -f "${release}" ]; do sleep 0.1; done`,
  );
  // Neither worker polls on its own (poll_interval = 0): only pokes make them claim.
  await using other = await startWorker(db, {
    targets: { t1: 1 },
    config: { name: "other", ...link },
  });
  await waitFor("the other worker to register", async () => {
    await using client = await masterClient(masterPort);
    return (await client.status()).workers.length === 1;
  });
  await using firing = await startWorker(db, {
    jobDir,
    targets: { t1: 1 },
    config: { name: "firing", schedules: board, ...link },
  });
  await waitFor("both workers to register", async () => {
    await using client = await masterClient(masterPort);
    return (await client.status()).workers.length === 2;
  });
  await Deno.writeTextFile(
    board,
    "[tick]\ntarget = t1\nevery = 1s\nmax_runs = 2\noverlap = allow\n",
  );
  firing.process.kill("SIGHUP");

  await waitFor("both rows started", async () => {
    const events = [...await firing.events(), ...await other.events()];
    return events.filter((line) => line.startsWith("start ")).length === 2;
  });
  assert.equal(
    (await other.events()).filter((line) => line.startsWith("start ")).length >= 1,
    true,
    "the other worker claimed a row it was never polled for but by the master's poke",
  );
  await Deno.writeTextFile(release, "");
  await waitForDone(db, (await db.rows()).map((row) => row.id));
  assert.equal((await db.rows()).length, 2);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(jobDir, { recursive: true });
});
