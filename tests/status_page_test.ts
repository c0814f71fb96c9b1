/**
 * The master's status page in a real browser (headless Chromium through
 * tests/helpers/browser.ts) against a real master and worker on a real
 * MariaDB: the page shows the worker, a failed job with its stderr and the
 * job board's schedule; its Retry button runs the job again and the page
 * shows it ended ok; Pause and Resume change the schedule. Also the JSON API
 * as a client sees it, its guards against cross-site posts, and a worker
 * that does not answer.
 */

import assert from "node:assert/strict";
import { fetchFresh } from "./helpers/http.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { openBrowser } from "./helpers/browser.ts";
import {
  freePort,
  iniText,
  masterClient,
  type ProgramProcess,
  startDaemon,
  waitFor,
} from "./helpers/processes.ts";
import { startWorker, type TestWorker, waitForDone } from "./helpers/worker.ts";
import type { TestJobsTable } from "./helpers/jobs_table.ts";
import type { StatusReport } from "../src/master/status_report.ts";
import type { ScheduleRunResult } from "../src/protocol/requests.ts";
import { ScriptedWorker, startMasterDaemon } from "./helpers/master_in_process.ts";

/** The launcher's script: fails the first time a job runs (stderr, exit 3), succeeds the next. */
const FAIL_ONCE = `
if [ -f "$JOB_DIR/ran-$id" ]; then
  echo "second run of $id went fine"
  exit 0
fi
touch "$JOB_DIR/ran-$id"
echo "report <b>$id</b>: disk full on /var/spool" >&2
exit 3
`;

interface Setup extends AsyncDisposable {
  master: ProgramProcess;
  masterPort: number;
  /** The status page's base address, `http://127.0.0.1:PORT`. */
  url: string;
  worker: TestWorker;
}

/** A master with `http_port`, and a worker named w1 serving `build` with a job board. */
async function startSetup(
  db: TestJobsTable,
  options: { pingInterval?: number } = {},
): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "jobd-status-page-" });
  const board = `${dir}/board.ini`;
  await Deno.writeTextFile(board, "[nightly-report]\ntarget = build\ncron = 0 3 * * *\n");
  const masterPort = freePort();
  const httpPort = freePort();
  const { process: master } = await startDaemon(
    "jobd-master",
    iniText({
      host: "127.0.0.1",
      port: masterPort,
      http_port: httpPort,
      ping_interval: options.pingInterval ?? 1,
      poke_throttle_interval: 0.1,
    }),
    { port: masterPort, dir },
  );
  try {
    await master.waitForPort(httpPort);
    const worker = await startWorker(db, {
      targets: { build: 1 },
      config: {
        name: "w1",
        schedules: board,
        master_host: "127.0.0.1",
        master_port: masterPort,
        master_reconnect_timeout: 1,
      },
    });
    await worker.script("default", FAIL_ONCE);
    {
      await using client = await masterClient(masterPort);
      await waitFor("the worker to register", async () => (await client.status()).workers.length);
    }
    return {
      master,
      masterPort,
      url: `http://127.0.0.1:${httpPort}`,
      worker,
      async [Symbol.asyncDispose]() {
        await worker[Symbol.asyncDispose]();
        await master[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await master[Symbol.asyncDispose]();
    throw error;
  }
}

/** Runs the schedule through the master; resolves with its job's id once it has failed. */
async function failedScheduleJob(setup: Setup, db: TestJobsTable): Promise<number> {
  await using client = await masterClient(setup.masterPort);
  const { id } = await client.scheduleRun("nightly-report") as ScheduleRunResult;
  const [row] = await waitForDone(db, [id]);
  assert.equal(row.result, "fail");
  return id;
}

async function statusOf(url: string): Promise<StatusReport> {
  const response = await fetchFresh(`${url}/api/status`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  return await response.json();
}

Deno.test("the status page shows a failed job's stderr, retries it, and shows it ended ok", async () => {
  await using db = await openTestDatabase({ withWorkerColumn: true, withTimeColumns: true });
  await using setup = await startSetup(db);
  const id = await failedScheduleJob(setup, db);
  // Rows of a target no worker serves: two waiting, one delayed for an hour.
  await db.insertJobs("deploy", 2);
  const later = await db.insertJobs("deploy", 1, "delayed");
  await db.setColumns(later, { time_run_at: Math.floor(Date.now() / 1000) + 3600, attempts: 1 });

  await using browser = await openBrowser();
  const { page } = browser;
  // The page, its script and styles work with nosniff (every answer says it).
  const opened = await page.goto(`${setup.url}/`);
  assert.equal(opened?.headers()["x-content-type-options"], "nosniff");
  const worker = page.locator("#workers tbody tr", { hasText: "w1" });
  await worker.waitFor();
  assert.match(await worker.innerText(), /build 0\/1/);
  assert.match(await worker.innerText(), /answering/);
  // Name, the address of its connection to the master, and when the master last heard from it.
  assert.match(await worker.innerText(), /^w1\t127\.0\.0\.1:\d+\tbuild 0\/1\t\d+(m\d\d)?s ago\t/);

  const failure = page.locator(`#failures tr[data-id="${id}"]`);
  await failure.waitFor();
  // The job's output is shown as text: its markup is not markup on the page.
  assert.equal(
    (await failure.locator("pre").textContent())?.trim(),
    `report <b>${id}</b>: disk full on /var/spool`,
  );
  assert.equal(await failure.locator("pre b").count(), 0);
  assert.match(await failure.innerText(), /\bbuild\b[\s\S]*\b3\b/);

  const target = page.locator("#targets tbody tr", { hasText: "build" });
  assert.match(await target.innerText(), /^build\t0\t0\t0\t0\t1\t0\t1\t0\t/);
  // Waiting, delayed, retrying, running, limit, ok, failed and timed out in the last hour, the
  // oldest waiting's age, the workers.
  const unserved = page.locator("#targets tbody tr", { hasText: "deploy" });
  await unserved.waitFor();
  assert.match(
    await unserved.innerText(),
    /^deploy\t2\t1\t1\t0\t0\t0\t0\t0\t\d+(m\d\d)?s\tnone$/,
  );

  const schedule = page.locator('#schedules tr[data-name="nightly-report"]');
  await schedule.waitFor();
  assert.match(await schedule.innerText(), /cron 0 3 \* \* \*/);
  assert.match(await schedule.innerText(), new RegExp(`#${id} done fail`));
  // The next run (03:00 UTC) lies ahead; the last run was the one that failed just now.
  assert.match(await schedule.innerText(), /\tin \d+[hms]\w*\t\d+(m\d\d)?s ago\t/);

  await failure.getByRole("button", { name: "Retry" }).click();
  await page.locator("#notice", { hasText: `Retry job ${id}: done, waiting again` }).waitFor();
  const [again] = await waitForDone(db, [id]);
  assert.equal(again.result, "ok");
  assert.match(again.stdout ?? "", /second run of/);
  // The page shows it on its own: the failure is gone, the schedule's job ended ok.
  await failure.waitFor({ state: "detached", timeout: 30_000 });
  await schedule.locator("text=" + `#${id} done ok`).waitFor({ timeout: 30_000 });
  // The counts come from another part of the report (the table's `stats`), read a moment apart.
  await waitFor(
    "the target's row to count the retried job as ok",
    async () => /^build\t0\t0\t0\t0\t1\t1\t0\t0\t/.test(await target.innerText()),
    30,
  );

  await schedule.getByRole("button", { name: "Pause" }).click();
  await schedule.getByRole("button", { name: "Resume" }).waitFor();
  assert.match(await schedule.innerText(), /paused/);
  await schedule.getByRole("button", { name: "Resume" }).click();
  await schedule.getByRole("button", { name: "Pause" }).waitFor();
  assert.deepEqual(browser.errors, []);
});

Deno.test("/api/status answers the report; actions take JSON from the page's origin only", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  await using setup = await startSetup(db);
  const id = await failedScheduleJob(setup, db);

  const report = await statusOf(setup.url);
  assert.equal(report.workers.length, 1);
  assert.equal(report.workers[0].name, "w1");
  assert.equal(report.workers[0].answering, true);
  assert.deepEqual(report.workers[0].targets, [
    { name: "build", running: 0, limit: 1, paused: false },
  ]);
  assert.ok(report.workers[0].lastHeard >= report.time - 30);
  const build = report.targets.find((target) => target.name === "build");
  assert.equal(build?.failedLastHour, 1);
  assert.deepEqual(build?.workers, ["w1"]);
  assert.equal(report.failures[0].id, id);
  assert.equal(report.failures[0].code, 3);
  assert.match(report.failures[0].stderrTail ?? "", /disk full/);
  assert.equal(report.schedules[0].name, "nightly-report");
  assert.equal(report.schedules[0].lastResult, "fail");
  assert.deepEqual(report.problems, []);

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetchFresh(`${setup.url}${path}`, { method: "POST", body, headers });
  // What a form on another site can send: refused, and the job stays failed.
  const form = await post("/api/retry", `id=${id}`, {
    "content-type": "application/x-www-form-urlencoded",
  });
  assert.equal(form.status, 415);
  await form.body?.cancel();
  const text = await post("/api/retry", JSON.stringify({ id }), { "content-type": "text/plain" });
  assert.equal(text.status, 415);
  await text.body?.cancel();
  const crossSite = await post("/api/retry", JSON.stringify({ id }), {
    "content-type": "application/json",
    origin: "https://elsewhere.example",
  });
  assert.equal(crossSite.status, 403);
  await crossSite.body?.cancel();
  assert.equal((await db.rows([id]))[0].status, "done");

  const bad = await post("/api/retry", JSON.stringify({ id: "x" }), {
    "content-type": "application/json",
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: "'id' must be integer, got string" });
  const unknown = await post("/api/schedule-pause", JSON.stringify({ name: "nope" }), {
    "content-type": "application/json",
  });
  assert.equal(unknown.status, 409);
  assert.deepEqual(await unknown.json(), { error: "schedule 'nope' not found" });

  const retried = await post("/api/retry", JSON.stringify({ id }), {
    "content-type": "application/json",
    origin: setup.url,
  });
  assert.equal(retried.status, 200);
  assert.deepEqual((await retried.json()).retried, [id]);
  assert.equal((await waitForDone(db, [id]))[0].result, "ok");
  const after = await waitFor("the report without the failure", async () => {
    const next = await statusOf(setup.url);
    return next.failures.length === 0 ? next : undefined;
  });
  assert.equal(after.schedules[0].lastResult, "ok");
});

Deno.test("a worker that does not answer is shown as such, and the page still answers", async () => {
  await using db = await openTestSqliteDatabase({ withWorkerColumn: true });
  // Pings far apart: the stopped worker stays registered while the page asks it.
  await using setup = await startSetup(db, { pingInterval: 120 });
  setup.worker.process.kill("SIGSTOP");
  try {
    const started = Date.now();
    const report = await statusOf(setup.url);
    assert.ok(Date.now() - started < 60_000);
    assert.equal(report.workers[0].answering, false);
    assert.match(report.workers[0].error ?? "", /^worker 'w1' did not answer: /);
    assert.deepEqual(report.workers[0].targets, [
      { name: "build", running: null, limit: null, paused: false },
    ]);
    assert.ok(report.problems.some((problem) => problem.startsWith("stats: ")));
    assert.equal(report.targets[0].waiting, null);
  } finally {
    setup.worker.process.kill("SIGCONT");
  }
});

Deno.test("with a password the page and its API ask for it, and the page works once it is given", async () => {
  const masterPort = freePort();
  const httpPort = freePort();
  const { process: master } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort, http_port: httpPort, password: "s3cret" }),
    { port: masterPort },
  );
  await using _master = master;
  await master.waitForPort(httpPort);
  const url = `http://127.0.0.1:${httpPort}`;
  for (const path of ["/", "/api/status"]) {
    const response = await fetchFresh(`${url}${path}`);
    assert.equal(response.status, 401, path);
    await response.body?.cancel();
  }
  const retry = await fetchFresh(`${url}/api/retry`, {
    method: "POST",
    body: JSON.stringify({ id: 1 }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(retry.status, 401);
  await retry.body?.cancel();

  await using browser = await openBrowser({
    httpCredentials: { username: "operator", password: "s3cret" },
  });
  await browser.page.goto(`${url}/`);
  // Rendered from /api/status, which the page fetched with the credentials.
  await browser.page.locator("#workers", { hasText: "No worker is registered." }).waitFor();
  await browser.page.locator("#updated", { hasText: /^updated / }).waitFor();
  assert.equal(
    await browser.page.locator("#problems").innerText(),
    "no worker is registered: the jobs table is read through one",
  );
  assert.deepEqual(browser.errors, []);
});

Deno.test("when the master stops answering, the page keeps its data greyed and says how old it is", async () => {
  const masterPort = freePort();
  const httpPort = freePort();
  const { process: master } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort, http_port: httpPort }),
    { port: masterPort },
  );
  await using _master = master;
  await master.waitForPort(httpPort);
  await using browser = await openBrowser();
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  const updated = page.locator("#updated");
  await updated.filter({ hasText: /^updated / }).waitFor();
  const shown = (await updated.innerText()).slice("updated ".length);
  assert.equal(await page.locator("main.stale").count(), 0);

  await master.stop();
  await updated.filter({ hasText: /^cannot refresh: / }).waitFor({ timeout: 30_000 });
  // The report's own time, not the time of the failed refresh.
  assert.ok(
    (await updated.innerText()).endsWith(`; the data shown is from ${shown}`),
    await updated.innerText(),
  );
  await page.locator("main.stale #workers", { hasText: "No worker is registered." }).waitFor();
  // The browser reports the failed fetch as a console error; the page itself raised none.
  assert.deepEqual(browser.errors.filter((error) => !/Failed to load resource/.test(error)), []);
});

Deno.test("without JavaScript the page says where its data is instead of 'loading' for ever", async () => {
  const masterPort = freePort();
  const httpPort = freePort();
  const { process: master } = await startDaemon(
    "jobd-master",
    iniText({ host: "127.0.0.1", port: masterPort, http_port: httpPort }),
    { port: masterPort },
  );
  await using _master = master;
  await master.waitForPort(httpPort);
  await using browser = await openBrowser({ javaScriptEnabled: false });
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  assert.equal(await page.locator("#updated").innerText(), "");
  const noscript = page.locator("main p", { hasText: "This page needs JavaScript" });
  assert.match(await noscript.innerText(), /api\/status.*metrics.*jobctl --master status/s);
  const link = noscript.getByRole("link", { name: "api/status" });
  await link.click();
  await page.waitForURL(`http://127.0.0.1:${httpPort}/api/status`);
  assert.deepEqual(JSON.parse(await page.locator("body").innerText()).workers, []);
});

Deno.test("with many workers failing alike, the page folds the long lists and keeps them as opened", async () => {
  const httpPort = freePort();
  await using master = await startMasterDaemon({ httpPort, httpHost: "127.0.0.1" });
  const refuse = () => {
    throw new Error("Cannot read the schedules: the database is away");
  };
  const workers: ScriptedWorker[] = [];
  try {
    for (let i = 1; i <= 12; i++) {
      workers.push(
        await ScriptedWorker.register(master.daemon, `w${String(i).padStart(2, "0")}`, ["build"], {
          status: () => ({ targets: { build: { concurrency: 1, length: 0, paused: false } } }),
          stats: refuse,
          jobs: refuse,
          schedules: refuse,
        }),
      );
    }
    await using browser = await openBrowser();
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.locator("#updated", { hasText: /^updated / }).waitFor();
    // One line for the stats, one for the failures, one per worker for the schedules: 14, of
    // which 10 are shown and the rest folded.
    assert.equal(await page.locator("#problems > div").count(), 10);
    const more = page.locator("#problems > details");
    assert.equal(await more.locator("summary").innerText(), "4 more");
    assert.equal(await more.locator("div").count(), 4);
    assert.equal(await more.getAttribute("open"), null, "folded");
    const serving = page.locator("#targets tbody tr", { hasText: "build" }).locator("details");
    assert.equal(await serving.locator("summary").innerText(), "12 workers");
    assert.match(await serving.evaluate((details) => details.textContent ?? ""), /w01, w02, .*w12/);

    await more.locator("summary").click();
    // Opened, it stays open through the next refresh.
    const shown = await page.locator("#updated").innerText();
    await page.locator("#updated", { hasNotText: shown }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator("#problems > details").getAttribute("open"), "");
    assert.deepEqual(browser.errors, []);
  } finally {
    for (const worker of workers) await worker[Symbol.asyncDispose]();
  }
});

Deno.test("names from workers are shown as text: markup stays text, bidi overrides in their errors are escaped, long names wrap", async () => {
  const httpPort = freePort();
  await using master = await startMasterDaemon({ httpPort, httpHost: "127.0.0.1" });
  const script = `<script>window.ran = "name"</script>`;
  const image = `<img src=x onerror="window.ran = 'target'">`;
  // U+202E shows the text after it right to left (target and worker names cannot hold it; a
  // worker's error text can).
  const reversing = "evil\u202e: the database is away";
  const long = "y".repeat(1024);
  const refuse = (text: string) => () => {
    throw new Error(text);
  };
  const targets = [image, long];
  const workers = [];
  try {
    for (const name of [script, "w-refused", "x".repeat(255)]) {
      const refusal = refuse(
        name === "w-refused" ? reversing : "Cannot read the schedules: the database is away",
      );
      workers.push(
        await ScriptedWorker.register(master.daemon, name, targets, {
          status: () => ({
            targets: Object.fromEntries(
              targets.map((target) => [target, { concurrency: 1, length: 0, paused: false }]),
            ),
          }),
          stats: refusal,
          jobs: refusal,
          schedules: refusal,
        }),
      );
    }
    await using browser = await openBrowser({ viewport: { width: 1280, height: 900 } });
    const { page } = browser;
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.locator("#updated", { hasText: /^updated / }).waitFor();

    const names = await page.locator("#workers tbody tr td:first-child").allInnerTexts();
    assert.ok(names.includes(script), `the name as text: ${names}`);
    const chips = await page.locator("#workers tbody tr", { hasText: script }).locator(".chip")
      .allInnerTexts();
    assert.ok(chips.includes(`${image} 0/1`), `the target as text: ${chips}`);
    assert.match(
      await page.locator("#problems").innerText(),
      /^schedules: worker 'w-refused' refused: evil\\u202e: the database is away$/m,
      "the override escaped",
    );
    assert.equal(await page.evaluate(() => (globalThis as { ran?: string }).ran), undefined);
    assert.deepEqual([dialogs, browser.errors], [[], []]);
    // A 1,024-character target and a 255-character worker name wrap within the window.
    const width = await page.locator("html").evaluate((html) => html.scrollWidth);
    assert.ok(width <= 1280, `the page is ${width} px wide`);
  } finally {
    for (const worker of workers) await worker[Symbol.asyncDispose]();
  }
});

Deno.test("a worker's targets beyond the first 10 are folded, as the other long lists are", async () => {
  const httpPort = freePort();
  await using master = await startMasterDaemon({ httpPort, httpHost: "127.0.0.1" });
  const targets = Array.from({ length: 25 }, (_, index) => `t${String(index).padStart(2, "0")}`);
  await using _worker = await ScriptedWorker.register(master.daemon, "w1", targets, {
    status: () => ({
      targets: Object.fromEntries(
        targets.map((target) => [target, { concurrency: 2, length: 0, paused: false }]),
      ),
    }),
  });
  await using browser = await openBrowser();
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  await page.locator("#updated", { hasText: /^updated / }).waitFor();
  const cell = page.locator("#workers tbody tr", { hasText: "w1" }).locator("td").nth(2);
  assert.deepEqual(
    await cell.locator(":scope > .chip").allInnerTexts(),
    targets.slice(0, 10).map((target) => `${target} 0/2`),
  );
  const more = cell.locator("details");
  assert.equal(await more.locator("summary").innerText(), "15 more targets");
  assert.equal(await more.locator(".chip").count(), 15);
  assert.equal(await more.getAttribute("open"), null, "folded");
  assert.deepEqual(browser.errors, []);
});

Deno.test("with an older worker among newer ones, the page and /metrics read the table through one that knows how", async () => {
  const httpPort = freePort();
  await using master = await startMasterDaemon({ httpPort, httpHost: "127.0.0.1" });
  // An older worker knows none of the requests the page and /metrics make of the table.
  const unknown = (type: string) => () => {
    throw new Error(`unknown request type: '${type}'`);
  };
  // First by name: asked first while neither is known to know the requests.
  await using older = await ScriptedWorker.register(master.daemon, "a-older", ["build"], {
    stats: unknown("stats"),
    jobs: unknown("jobs"),
    job: unknown("job"),
    schedules: unknown("schedules"),
  });
  await using newer = await ScriptedWorker.register(master.daemon, "b-newer", ["build"], {
    stats: () => ({ targets: { build: { waiting: 4, running: 1 } }, time: 1 }),
    jobs: () => ({ jobs: [] }),
    schedules: () => ({ schedules: [] }),
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const report = await statusOf(url);
  // An older worker has no job board: no error for its schedules either.
  assert.deepEqual(report.problems, []);
  assert.equal(report.targets.find((target) => target.name === "build")?.waiting, 4);
  const metrics = await (await fetchFresh(`${url}/metrics`)).text();
  assert.match(metrics, /^jobd_table_stats_up 1$/m);
  assert.match(metrics, /^jobd_table_jobs\{target="build",status="waiting"\} 4$/m);
  // Asked each at most once (the first time, unless busier then than the other): the master
  // remembers, for its connection, what it does not know.
  for (const type of ["stats", "jobs", "schedules"]) {
    assert.ok(older.requests(type).length <= 1, `${type}: ${older.requests(type).length}`);
  }
  assert.ok(newer.requests("stats").length >= 1);
});
