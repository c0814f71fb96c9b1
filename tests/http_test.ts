/**
 * The daemons' HTTP server (`http_port`): `/health`, `/metrics`, basic auth,
 * unknown paths and methods, on real subprocesses and a real MariaDB.
 */

import assert from "node:assert/strict";
import type { RowDataPacket } from "mysql2/promise";
import { fetchFresh } from "./helpers/http.ts";
import { killNameLockHolder, openTestDatabase } from "./helpers/database.ts";
import { freePort, iniText, masterClient, startDaemon, waitFor } from "./helpers/processes.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";
import { VERSION } from "../src/version.ts";

/** One HTTP answer, read whole. */
interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function get(port: number, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetchFresh(`http://127.0.0.1:${port}${path}`, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function basic(password: string, user = "prometheus"): RequestInit {
  return { headers: { authorization: `Basic ${btoa(`${user}:${password}`)}` } };
}

/** The value of one series in an exposition text (`name{labels}` as written), or undefined. */
function metric(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("a worker's /health is ok, and its /metrics count the jobs it ran by target and result", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  const [ok1, ok2, failed, slow, retried] = await db.insertJobs("t1", 5);
  const [other] = await db.insertJobs("t2", 1);
  await db.setColumns([slow], { timeout: 1 });
  await db.setColumns([retried], { max_attempts: 2 });
  const httpPort = freePort();
  await using worker = await startWorker(db, {
    targets: { t1: 5, t2: 1 },
    config: { http_port: httpPort, timeout_grace: 1, retry_delay: 1, retry_delay_max: 1 },
  });
  await worker.script(failed, "exit 3");
  await worker.script(slow, "exec sleep 60");
  await worker.script(retried, "exit 1");

  const health = await get(httpPort, "/health");
  assert.deepEqual([health.status, health.text], [200, "ok\n"]);

  await worker.client.poll(["t1", "t2"]);
  await waitForDone(db, [ok1, ok2, failed, slow, retried, other], 60);
  const scrape = await get(httpPort, "/metrics");
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = scrape.text;
  const expected: Record<string, number> = {
    'jobd_jobs_started_total{target="t1"}': 6, // the retried job started twice
    'jobd_jobs_started_total{target="t2"}': 1,
    'jobd_jobs_finished_total{target="t1",result="ok"}': 2,
    'jobd_jobs_finished_total{target="t1",result="fail"}': 4,
    'jobd_jobs_finished_total{target="t2",result="ok"}': 1,
    'jobd_jobs_finished_total{target="t2",result="fail"}': 0,
    'jobd_job_timeouts_total{target="t1"}': 1,
    'jobd_job_retries_total{target="t1"}': 1,
    'jobd_job_retries_total{target="t2"}': 0,
    'jobd_job_duration_seconds_count{target="t1"}': 6,
    'jobd_job_duration_seconds_bucket{target="t1",le="+Inf"}': 6,
    'jobd_job_wait_seconds_count{target="t1"}': 6,
    'jobd_jobs_running{target="t1"}': 0,
    'jobd_jobs_queued{target="t1"}': 0,
    'jobd_target_concurrency{target="t1"}': 5,
    'jobd_target_concurrency{target="t2"}': 1,
    'jobd_target_paused{target="t1"}': 0,
    "jobd_result_writes_pending": 0,
    "jobd_database_up": 1,
    [`jobd_build_info{version="${VERSION}"}`]: 1,
  };
  const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, metric(text, key)]));
  assert.deepEqual(actual, expected);
  // The slow job ran at least its 1 s limit: one observation above the 1 s bucket.
  assert.ok(metric(text, 'jobd_job_duration_seconds_sum{target="t1"}')! >= 1);
  assert.equal(metric(text, 'jobd_job_duration_seconds_bucket{target="t1",le="0.5"}')! <= 5, true);
  assert.match(text, /^# TYPE jobd_jobs_finished_total counter$/m);
  assert.match(text, /^# TYPE jobd_job_duration_seconds histogram$/m);
  assert.doesNotMatch(text, /^jobd_master_connected/m, "no master configured: no such series");
  // The name lock's statements read the database's clock: the test server runs on this host.
  const offset = metric(text, "jobd_database_clock_offset_seconds");
  assert.ok(offset !== undefined && Math.abs(offset) < 2, `clock offset ${offset}`);

  await worker.client.pause(["t2"]);
  assert.equal(
    metric((await get(httpPort, "/metrics")).text, 'jobd_target_paused{target="t2"}'),
    1,
  );
});

Deno.test("a worker's /health answers 503 naming the database while it is down, and ok again after", async () => {
  await using db = await openTestDatabase({ privateServer: true });
  const httpPort = freePort();
  await using _worker = await startWorker(db, { config: { http_port: httpPort } });
  assert.equal((await get(httpPort, "/health")).status, 200);

  await db.server!.stop();
  const down = await waitFor("health 503", async () => {
    const answer = await get(httpPort, "/health");
    return answer.status === 503 ? answer : undefined;
  });
  // The failed read, or a server caught half-way through its stop that never answers.
  assert.match(
    down.text,
    /^database: (Cannot reach the jobs in table 'jobs' of database '[^']+': |no answer within 5 s)/,
  );
  assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_database_up"), 0);

  await db.server!.start();
  await waitFor(
    "health 200 again",
    async () => (await get(httpPort, "/health")).status === 200,
    60,
  );
  assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_database_up"), 1);
});

Deno.test("a worker that lost the lock on its name answers 503 naming it, though its database answers", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true });
  const httpPort = freePort();
  await using worker = await startWorker(db, { config: { http_port: httpPort } });
  assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_name_lock_held"), 1);
  // Another session (a second worker of the same name) takes the lock once the worker's is gone.
  const session = await db.session();
  try {
    const key = await killNameLockHolder(session, db, "test-worker");
    const [[{ got }]] = await session.query<RowDataPacket[]>(
      "SELECT GET_LOCK(?, 10) AS got",
      [key],
    );
    assert.equal(Number(got), 1);
    const down = await waitFor("health 503", async () => {
      const answer = await get(httpPort, "/health");
      return answer.status === 503 ? answer : undefined;
    });
    // The worker claims and starts nothing now: a load balancer must not count it as healthy.
    assert.match(
      down.text,
      /^name lock: lost the lock on the worker name test-worker \(.+\): claiming and starting no job until it is held again\n$/,
    );
    const metrics = (await get(httpPort, "/metrics")).text;
    assert.equal(metric(metrics, "jobd_name_lock_held"), 0);
    assert.equal(metric(metrics, "jobd_database_up"), 1);

    await session.query("DO RELEASE_LOCK(?)", [key]);
    await waitFor(
      "health 200 once the lock is held again",
      async () => (await get(httpPort, "/health")).status === 200,
      60,
    );
    assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_name_lock_held"), 1);
    assert.match(worker.process.stderrSoFar, /Holding the lock on the worker name .*again/);
  } finally {
    await session.end();
  }
});

Deno.test("a worker whose master is unreachable answers 503 naming the master", async () => {
  await using db = await openTestDatabase();
  const httpPort = freePort();
  const masterPort = freePort();
  await using _worker = await startWorker(db, {
    config: {
      http_port: httpPort,
      master_host: "127.0.0.1",
      master_port: masterPort,
      master_reconnect_timeout: 1,
    },
  });
  // Once the first attempt has failed, the reason says why.
  const health = await waitFor("the reason of the failed registration", async () => {
    const answer = await get(httpPort, "/health");
    return answer.text.includes("Cannot connect") ? answer : undefined;
  });
  assert.equal(health.status, 503);
  assert.match(
    health.text,
    new RegExp(
      String.raw`^master: not registered with the master at 127\.0\.0\.1:${masterPort}: ` +
        String.raw`Cannot connect to 127\.0\.0\.1:${masterPort}: .+
$`,
    ),
  );
  assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_master_connected"), 0);

  const master = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort, ping_interval: 1 }),
    { port: masterPort },
  );
  await using _master = master.process;
  await waitFor("health 200 once registered", async () => {
    return (await get(httpPort, "/health")).status === 200;
  }, 60);
  assert.equal(metric((await get(httpPort, "/metrics")).text, "jobd_master_connected"), 1);
});

Deno.test("with a password, HTTP asks for it (basic auth, any user) unless loopback is always allowed", async () => {
  await using db = await openTestDatabase();
  const httpPort = freePort();
  await using _worker = await startWorker(db, {
    config: { http_port: httpPort, password: "s3cret:with colon" },
  });
  const refused = await get(httpPort, "/metrics");
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get("www-authenticate") ?? "", /^Basic realm="jobd"/);
  assert.equal((await get(httpPort, "/health", basic("wrong"))).status, 401);
  assert.equal((await get(httpPort, "/health", basic("s3cret:with colon"))).status, 200);
  assert.equal((await get(httpPort, "/health", basic("s3cret:with colon", ""))).status, 200);

  const masterHttp = freePort();
  const masterPort = freePort();
  const master = await startDaemon(
    "jobd-master",
    iniText({
      host: "127.0.0.1",
      port: masterPort,
      password: "pw",
      always_allow_localhost: true,
      http_port: masterHttp,
    }),
    { port: masterPort },
  );
  await using _master = master.process;
  // The protocol port listens first: wait for the HTTP one too.
  await master.process.waitForPort(masterHttp);
  const loopback = await get(masterHttp, "/health");
  assert.deepEqual([loopback.status, loopback.text], [200, "ok\n"], "127.0.0.1 needs no password");
});

Deno.test("unknown paths are 404, HEAD is GET without a body, other methods 405 with Allow, and http_port 0 serves nothing", async () => {
  const masterPort = freePort();
  const httpPort = freePort();
  const master = await startDaemon(
    "jobd-master",
    iniText({
      host: "127.0.0.1",
      port: masterPort,
      http_port: httpPort,
      log_level_console: "info",
    }),
    { port: masterPort },
  );
  await using _master = master.process;
  // The protocol port listens first: wait for the HTTP one too.
  await master.process.waitForPort(httpPort);
  assert.equal((await get(httpPort, "/nothing")).status, 404);
  const post = await get(httpPort, "/metrics", { method: "POST", body: "x" });
  assert.deepEqual([post.status, post.headers.get("allow")], [405, "GET, HEAD"]);
  // Uptime checkers ask with HEAD: the GET's status, without a body.
  const head = await get(httpPort, "/health", { method: "HEAD" });
  assert.deepEqual([head.status, head.text], [200, ""]);
  await waitFor(
    "the start-up line naming the HTTP address",
    () => master.process.stderrSoFar.includes(`; http 127.0.0.1:${httpPort};`),
  );

  const offPort = freePort();
  const off = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: offPort, http_port: 0, log_level_console: "info" }),
    { port: offPort },
  );
  await using _off = off.process;
  await waitFor("the start-up line", () => off.process.stderrSoFar.includes("listening on"));
  assert.doesNotMatch(off.process.stderrSoFar, /HTTP|; http /);
});

const NEXT_RUN = 'jobd_schedule_next_run_timestamp_seconds{schedule="hourly",target="t2"}';

const LAST_RUN = 'jobd_schedule_last_run_timestamp_seconds{schedule="hourly",target="t2"}';

Deno.test("the master's /metrics: workers, the table's counts per target and status, schedules", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  await db.insertJobs("t1", 3);
  await db.insertJobs("t2", 2, "manual");
  const later = await db.insertJobs("t1", 2, "delayed");
  await db.setColumns(later, { time_run_at: Math.floor(Date.now() / 1000) + 3600 });
  await db.setColumns([later[0]], { attempts: 1 }); // a failed attempt waiting for its retry
  const dir = await Deno.makeTempDir({ prefix: "jobd-board-" });
  try {
    const board = `${dir}/board.ini`;
    await Deno.writeTextFile(board, "[hourly]\ntarget = t2\nevery = 1h\n");
    const masterPort = freePort();
    const httpPort = freePort();
    const workerHttpPort = freePort();
    const master = await startDaemon(
      "jobd-master",
      iniText({ host: "127.0.0.1", port: masterPort, ping_interval: 1, http_port: httpPort }),
      { port: masterPort },
    );
    await using _master = master.process;
    await using _worker = await startWorker(db, {
      targets: { t1: 1, t2: 1 },
      config: {
        name: "w1",
        http_port: workerHttpPort,
        schedules: board,
        master_host: "127.0.0.1",
        master_port: masterPort,
        master_reconnect_timeout: 1,
        poll_interval: 0,
      },
    });
    const text = await waitFor("the worker and its table in the master's metrics", async () => {
      const scrape = await get(httpPort, "/metrics");
      return metric(scrape.text, "jobd_workers_registered") === 1 &&
          metric(scrape.text, "jobd_table_stats_up") === 1 &&
          metric(scrape.text, NEXT_RUN) !== undefined
        ? scrape.text
        : undefined;
    });
    const expected: Record<string, number> = {
      'jobd_worker_up{worker="w1"}': 1,
      'jobd_target_workers{target="t1"}': 1,
      'jobd_target_workers{target="t2"}': 1,
      'jobd_table_jobs{target="t1",status="waiting"}': 3,
      'jobd_table_jobs{target="t1",status="delayed"}': 2,
      'jobd_table_retrying{target="t1"}': 1,
      'jobd_table_timed_out_last_hour{target="t1"}': 0,
      'jobd_table_jobs{target="t1",status="running"}': 0,
      'jobd_table_jobs{target="t2",status="manual"}': 2,
      'jobd_table_done_last_hour{target="t1",result="fail"}': 0,
      [`jobd_build_info{version="${VERSION}"}`]: 1,
    };
    const actual = Object.fromEntries(Object.keys(expected).map((key) => [key, metric(text, key)]));
    assert.deepEqual(actual, expected);
    assert.ok(metric(text, 'jobd_table_oldest_waiting_seconds{target="t1"}')! >= 0);
    const next = metric(
      text,
      'jobd_schedule_next_run_timestamp_seconds{schedule="hourly",target="t2"}',
    );
    assert.ok(next !== undefined && next > Date.now() / 1000 - 3600, `next run ${next}: ${text}`);
    assert.equal(metric(text, LAST_RUN), undefined, "the schedule has not run yet");

    // The worker with the board shows its schedules too; once one ran, both show its last run.
    const workerText = (await get(workerHttpPort, "/metrics")).text;
    assert.equal(metric(workerText, NEXT_RUN), next);
    {
      await using client = await masterClient(masterPort);
      await client.scheduleRun("hourly");
    }
    const ranAt = await waitFor(
      "the schedule's last run in the worker's metrics",
      async () => metric((await get(workerHttpPort, "/metrics")).text, LAST_RUN),
    );
    assert.ok(Math.abs(ranAt - Date.now() / 1000) < 3600, `last run ${ranAt}`);
    await waitFor(
      "the schedule's last run in the master's metrics (kept 5 s)",
      async () => metric((await get(httpPort, "/metrics")).text, LAST_RUN) === ranAt,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
