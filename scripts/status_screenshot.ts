/**
 * Takes docs/status-page.png: the master's status page with a few workers,
 * targets, failures and schedules, as an operator would see it. In a
 * temporary directory it creates an SQLite jobs table, starts a master (with
 * `http_port`) and three workers (the real programs), makes jobs succeed,
 * fail, wait and run, runs and pauses schedules, and photographs the page
 * in headless Chromium (tests/helpers/browser.ts). Everything it started
 * and wrote is gone when it ends.
 *
 *   deno run --allow-all scripts/status_screenshot.ts [OUTPUT.png]
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { MasterClient } from "../src/net/client.ts";
import { openBrowser } from "../tests/helpers/browser.ts";
import { Daemon, freePort, iniText, ROOT } from "./daemon_process.ts";

const OUTPUT = Deno.args[0] ?? `${ROOT}docs/status-page.png`;

/** The launcher: runs `jobs/ID.sh` when there is one, else succeeds at once. */
const LAUNCHER = `#!/bin/sh
id=$1
if [ -f "$DEMO_DIR/jobs/$id.sh" ]; then . "$DEMO_DIR/jobs/$id.sh"; fi
echo "job $id done"
`;

/** A job that runs until the demo ends. */
const LONG = `while [ ! -f "$DEMO_DIR/stop" ]; do sleep 0.2; done`;

const FAILURES: Record<string, string> = {
  mail: `echo 'Traceback (most recent call last):
  File "/srv/app/mailer/send.py", line 88, in deliver
    smtp.send_message(message)
  File "/usr/lib/python3.11/smtplib.py", line 986, in send_message
    return self.sendmail(from_addr, to_addrs, flatmsg, mail_options, rcpt_options)
smtplib.SMTPServerDisconnected: Connection unexpectedly closed' >&2; exit 1`,
  exports:
    `echo 'pg_dump: error: connection to server at "db-2.internal" (10.0.4.12), port 5432 failed: FATAL:  sorry, too many clients already' >&2; exit 1`,
  reports: `echo 'rendering report 2026-11 for account 1742' >&2
echo 'Error: template "invoice-summary" not found in /srv/app/templates' >&2; exit 2`,
};

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await pause(100);
  }
}

const dir = await Deno.makeTempDir({ prefix: "jobd-screenshot-" });
const daemons: Daemon[] = [];
let master: MasterClient | undefined;
try {
  await Deno.mkdir(`${dir}/jobs`);
  await Deno.writeTextFile(`${dir}/launcher.sh`, LAUNCHER);
  const dbPath = `${dir}/jobs.db`;
  const db = new DatabaseSync(dbPath, { timeout: 5000 });
  db.exec(await Deno.readTextFile(`${ROOT}examples/schema.sqlite.sql`));
  const now = () => Math.floor(Date.now() / 1000);
  const nextId = () =>
    Number(
      (db.prepare("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM jobs").get() as { id: number }).id,
    );
  /** Inserts jobs of `target`, each running `script` (none: succeeds at once). */
  const insert = async (target: string, count: number, script?: string, status = "waiting") => {
    for (let i = 0; i < count; i++) {
      const id = nextId();
      if (script) await Deno.writeTextFile(`${dir}/jobs/${id}.sh`, script);
      db.prepare(
        "INSERT INTO jobs (id, target, time_created, status, time_run_at) VALUES (?, ?, ?, ?, ?)",
      )
        .run(id, target, now() - 40 - i, status, status === "delayed" ? now() + 900 : 0);
    }
  };
  const doneCount = () =>
    Number(
      (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done'").get() as { n: number }).n,
    );

  await Deno.writeTextFile(
    `${dir}/board.ini`,
    `[nightly-export]
target = exports
cron = 30 2 * * *

[hourly-digest]
target = mail
cron = 0 * * * *

[cleanup-thumbnails]
target = thumbnails
every = 15m

[weekly-report]
target = reports
cron = 0 6 * * 1
`,
  );

  const masterPort = freePort();
  const httpPort = freePort();
  const start = async (program: "jobd" | "jobd-master", name: string, config: string) => {
    const path = `${dir}/${name}.conf`;
    await Deno.writeTextFile(path, config);
    const daemon = Daemon.program(program, ["--config", path], {
      cwd: dir,
      env: { DEMO_DIR: dir },
    });
    daemons.push(daemon);
    return daemon;
  };
  await (await start(
    "jobd-master",
    "master",
    iniText({ host: "127.0.0.1", port: masterPort, http_port: httpPort }),
  )).waitForPort(httpPort);
  const workers: [string, Record<string, number>][] = [
    ["app-1", { reports: 2, mail: 1 }],
    ["app-2", { reports: 2, thumbnails: 3 }],
    ["batch-1", { exports: 1 }],
  ];
  for (const [name, targets] of workers) {
    const port = freePort();
    const worker = await start(
      "jobd",
      name,
      iniText({
        host: "127.0.0.1",
        port,
        name,
        storage: "sqlite",
        sqlite_path: dbPath,
        launcher: `sh ${dir}/launcher.sh {id}`,
        master_host: "127.0.0.1",
        master_port: masterPort,
        schedules: `${dir}/board.ini`,
      }, { targets }),
    );
    await worker.waitForPort(port);
  }
  master = await MasterClient.connect({ host: "127.0.0.1", port: masterPort });
  await waitUntil(
    "the workers to register",
    async () => (await master!.status()).workers.length === 3,
  );

  // History first: successes and failures, then the schedules' runs.
  await insert("reports", 9);
  await insert("mail", 5);
  await insert("thumbnails", 14);
  await insert("mail", 2, FAILURES.mail);
  await insert("reports", 1, FAILURES.reports);
  await master.poke(["reports", "mail", "thumbnails"]);
  await waitUntil("the first jobs to end", () => doneCount() === 31);
  for (const [name, script] of [["nightly-export", FAILURES.exports], ["hourly-digest", ""]]) {
    if (script) await Deno.writeTextFile(`${dir}/jobs/${nextId()}.sh`, script);
    await master.scheduleRun(name);
  }
  await waitUntil("the schedules' jobs to end", () => doneCount() === 33);
  await master.schedulePause("weekly-report");
  // Now: jobs running, a queue of thumbnails, deferred mail.
  await insert("reports", 1, LONG);
  await insert("thumbnails", 3, LONG);
  await insert("thumbnails", 37);
  await insert("mail", 4, undefined, "delayed");
  // One of them a failed attempt waiting for its retry.
  db.prepare("UPDATE jobs SET attempts = 1 WHERE id = (SELECT MAX(id) FROM jobs)").run();
  await master.poke(["reports", "thumbnails"]);
  await waitUntil(
    "four jobs to run",
    () =>
      Number(
        (db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'").get() as {
          n: number;
        }).n,
      ) === 4,
  );

  await using browser = await openBrowser({ viewport: { width: 1360, height: 900 } });
  await browser.page.goto(`http://127.0.0.1:${httpPort}/`);
  await browser.page.locator("#failures tbody tr").first().waitFor();
  await browser.page.screenshot({ path: OUTPUT, fullPage: true });
  if (browser.errors.length > 0) throw new Error(`The page reported: ${browser.errors.join("; ")}`);
  console.log(`Wrote ${OUTPUT}`);
  db.close();
} finally {
  master?.close();
  await Deno.writeTextFile(`${dir}/stop`, "").catch(() => {});
  await Promise.all(daemons.reverse().map((daemon) => daemon.stop()));
  await Deno.remove(dir, { recursive: true });
}
