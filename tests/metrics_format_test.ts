/**
 * `/metrics` of a real worker and a real master, read by a strict reader of
 * the Prometheus text format (tests/helpers/exposition_format.ts): after
 * jobs that ended ok, failed, timed out and were retried, with target and
 * worker names a peer chose to be hostile (quotes, backslashes, line feeds,
 * markup, U+202E, lone surrogates) and a worker with 2,000 targets. Also:
 * the families README documents, with their labels and types, are those served.
 */

import assert from "node:assert/strict";
import { fetchFresh } from "./helpers/http.ts";
import { openTestDatabase } from "./helpers/database.ts";
import { freePort, iniText, startDaemon, waitFor } from "./helpers/processes.ts";
import { startWorker, waitForDone } from "./helpers/worker.ts";
import { readExposition, type ReadFamily, sampleValue } from "./helpers/exposition_format.ts";
import { Connection } from "../src/net/connection.ts";
import { RemoteError } from "../src/net/errors.ts";

/**
 * A target name (16 characters: the column's width) with what the format escapes, and more
 * (invisible format characters such as U+202E are refused in target names).
 */
const HOSTILE_TARGET = 'q"\\n\\"<i>x</i>\u00e9!';

/** Worker names a peer may register with, with what the format escapes. */
const HOSTILE_WORKERS = ['a"b\\c', "<b>bold</b>", 'x\\n"y'];

/** Worker names the master refuses (control characters, U+202E, lone surrogates). */
const REFUSED_WORKERS = ["a\nd", "rtl\u202e", "lone\ud800", "lone\udbff"];

async function scrape(port: number): Promise<Map<string, ReadFamily>> {
  const response = await fetchFresh(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return readExposition(new Uint8Array(await response.arrayBuffer()));
}

/** A peer that registers as a worker and answers the master's reads with odd values. */
async function fakeWorker(masterPort: number, name: string, targets: string[]) {
  const odd = { waiting: 1.5, delayed: -1, running: 1e300, lastHour: { ok: "7" } };
  const answers: Record<string, unknown> = {
    status: { targets: {} },
    stats: {
      targets: Object.fromEntries(
        [HOSTILE_TARGET, "lone\ud800", "lone\udbff"].map((t) => [t, odd]),
      ),
    },
    schedules: {
      schedules: [{ name: 'sch"ed\\n\nx', target: "t1", served: true, nextRunAt: 1.5 }],
    },
  };
  const connection = await Connection.connect("127.0.0.1", masterPort, {
    onRequest: (request) => Promise.resolve(answers[request.type] ?? "ok"),
  });
  try {
    await connection.request("register-worker", { name, targets });
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}

/** A family as README's "HTTP: health and metrics" writes it. */
interface Documented {
  labels: string[];
  /** From the worker's table; the master's families are named in prose, without one. */
  type?: string;
}

/**
 * Every `jobd_*` family README's "HTTP: health and metrics" names (`{next,last}` spelled out),
 * with the labels written in braces after it, and its type where a table row gives one.
 */
async function documentedFamilies(): Promise<Map<string, Documented>> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("### HTTP: health and metrics");
  const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
  const families = new Map<string, Documented>();
  for (const line of section.split("\n")) {
    const type = line.startsWith("| `jobd_") ? line.split("|")[2].trim() : undefined;
    const mentions = line.matchAll(/`(jobd_[a-z_]*(?:\{[a-z,]+\}[a-z_]+)*)(?:\{([a-z,]+)\})?`/g);
    for (const [, written, labels] of mentions) {
      const choice = /\{([a-z,]+)\}/.exec(written);
      const names = choice
        ? choice[1].split(",").map((word) => written.replace(choice[0], word))
        : [written];
      for (const name of names) {
        const known = families.get(name);
        // A mention in prose without braces (`jobd_database_up == 0`) leaves the labels as written.
        if (known && labels === undefined) continue;
        families.set(name, { labels: labels?.split(",").sort() ?? [], type: type ?? known?.type });
      }
    }
  }
  return families;
}

/** A family as served: its type and the names of its labels (`le` left out). */
function served(family: ReadFamily): Documented {
  const labels = new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)));
  labels.delete("le");
  return { labels: [...labels].sort(), type: family.type };
}

Deno.test("the worker's and the master's /metrics follow the text format, whatever names peers send", async () => {
  await using db = await openTestDatabase({ withTimeColumns: true });
  const [ok, failed, slow, retried] = await db.insertJobs("t1", 4);
  const [hostileJob] = await db.insertJobs(HOSTILE_TARGET, 1);
  await db.setColumns([slow], { timeout: 1 });
  await db.setColumns([retried], { max_attempts: 2 });
  const dir = await Deno.makeTempDir({ prefix: "jobd-metrics-format-" });
  const connections: Connection[] = [];
  try {
    await Deno.writeTextFile(`${dir}/board.ini`, "[hourly]\ntarget = t1\nevery = 1h\n");
    const masterPort = freePort();
    const masterHttp = freePort();
    const master = await startDaemon(
      "jobd-master",
      iniText({ host: "127.0.0.1", port: masterPort, ping_interval: 1, http_port: masterHttp }),
      { port: masterPort },
    );
    await using _master = master.process;
    await master.process.waitForPort(masterHttp);
    const workerHttp = freePort();
    await using worker = await startWorker(db, {
      targets: { t1: 4, [HOSTILE_TARGET]: 1 },
      config: {
        name: "w1",
        http_port: workerHttp,
        schedules: `${dir}/board.ini`,
        master_host: "127.0.0.1",
        master_port: masterPort,
        master_reconnect_timeout: 1,
        timeout_grace: 1,
        retry_delay: 1,
        retry_delay_max: 1,
      },
    });
    await worker.script(failed, "exit 3");
    await worker.script(slow, "exec sleep 60");
    await worker.script(retried, "exit 1");
    await worker.client.poll(["t1", HOSTILE_TARGET]);
    await waitForDone(db, [ok, failed, slow, retried, hostileJob], 60);

    const many = Array.from({ length: 2_000 }, (_, index) => `bulk-${index}`);
    for (const name of HOSTILE_WORKERS) {
      connections.push(await fakeWorker(masterPort, name, ["t1", HOSTILE_TARGET]));
    }
    connections.push(await fakeWorker(masterPort, "many-targets", many));
    for (const name of REFUSED_WORKERS) {
      await assert.rejects(
        fakeWorker(masterPort, name, ["t1"]),
        (error) => error instanceof RemoteError && error.message.startsWith("invalid worker name"),
      );
    }

    const fromWorker = await scrape(workerHttp);
    const target = { target: HOSTILE_TARGET };
    assert.equal(
      sampleValue(fromWorker, "jobd_jobs_finished_total", { ...target, result: "ok" }),
      1,
      "a hostile target's label value reads back exactly",
    );
    const finished = (result: string) =>
      sampleValue(fromWorker, "jobd_jobs_finished_total", { target: "t1", result });
    assert.deepEqual([finished("ok"), finished("fail")], [1, 4]);
    assert.equal(sampleValue(fromWorker, "jobd_job_timeouts_total", { target: "t1" }), 1);
    assert.equal(sampleValue(fromWorker, "jobd_job_retries_total", { target: "t1" }), 1);
    assert.equal(
      sampleValue(
        fromWorker,
        "jobd_job_duration_seconds_count",
        target,
        "jobd_job_duration_seconds",
      ),
      1,
    );

    const workers = 2 + HOSTILE_WORKERS.length;
    const fromMaster = await waitFor(
      "every worker and the schedule in the master's metrics",
      async () => {
        const families = await scrape(masterHttp);
        return sampleValue(families, "jobd_workers_registered") === workers &&
            sampleValue(families, "jobd_table_stats_up") === 1 &&
            sampleValue(families, "jobd_schedule_next_run_timestamp_seconds", {
                schedule: "hourly",
                target: "t1",
              }) !== undefined
          ? families
          : undefined;
      },
      60,
    );
    const up = fromMaster.get("jobd_worker_up")!.samples.map((sample) => sample.labels.worker);
    assert.deepEqual(up.sort(), [...HOSTILE_WORKERS, "many-targets", "w1"].sort());
    assert.equal(sampleValue(fromMaster, "jobd_target_workers", { target: "t1" }), workers - 1);
    assert.equal(
      sampleValue(fromMaster, "jobd_target_workers", target),
      1 + HOSTILE_WORKERS.length,
    );
    assert.equal(sampleValue(fromMaster, "jobd_target_workers", { target: "bulk-1999" }), 1);

    // What README names is what the two daemons serve, and nothing else, labels and types alike.
    const documented = await documentedFamilies();
    const all = new Map([...fromMaster, ...fromWorker]);
    assert.deepEqual([...all.keys()].sort(), [...documented.keys()].sort());
    for (const [name, family] of all) {
      const { labels, type } = documented.get(name)!;
      // A family with no series yet (a schedule that never ran) shows no labels to compare.
      const expected = { labels: family.samples.length > 0 ? labels : [], type: type ?? "gauge" };
      assert.deepEqual(served(family), expected, name);
    }
  } finally {
    for (const connection of connections) connection.close();
    await Deno.remove(dir, { recursive: true });
  }
});
