import assert from "node:assert/strict";
import { MasterMetrics, MAX_REMEMBERED_WORKERS } from "./metrics.ts";
import { WorkerRegistry } from "./registry.ts";
import { WorkerAnswers } from "./worker_answers.ts";

/** Sources whose answers the test sets, counting the requests made. */
function sources(stats: () => unknown, schedules: () => unknown = () => SCHEDULES) {
  const asked = { stats: 0, schedules: 0 };
  const answers = new WorkerAnswers({
    stats: () => {
      asked.stats++;
      return Promise.resolve(stats());
    },
    schedules: () => {
      asked.schedules++;
      return Promise.resolve(schedules());
    },
  });
  return { asked, answers, sources: { registry: new WorkerRegistry(), answers } };
}

const SCHEDULES = {
  schedules: [{ name: "nightly", target: "build", nextRunAt: 1_800_000_000, lastRunAt: null }],
};

const STATS = {
  time: 1_700_000_000,
  targets: {
    'we"ird': {
      waiting: 4,
      delayed: 1,
      manual: 0,
      accepted: 0,
      running: 2,
      lastHour: { ok: 7, fail: 1 },
      lastDay: { ok: 70, fail: 10 },
      timedOut: { lastHour: 1, lastDay: 3 },
      retrying: 2,
      oldestWaitingAge: 12,
    },
  },
};

Deno.test("scrapes within the cache time share one stats and one schedules request", async () => {
  const { asked, sources: from } = sources(() => STATS);
  const metrics = new MasterMetrics(from, 60_000);
  const texts = await Promise.all([metrics.registry.expose(), metrics.registry.expose()]);
  await metrics.registry.expose();
  assert.deepEqual(asked, { stats: 1, schedules: 1 });
  assert.match(texts[0], /^jobd_table_jobs\{target="we\\"ird",status="waiting"\} 4$/m);
  assert.match(texts[1], /^jobd_table_oldest_waiting_seconds\{target="we\\"ird"\} 12$/m);
  assert.match(texts[1], /^jobd_table_done_last_hour\{target="we\\"ird",result="ok"\} 7$/m);
  assert.match(texts[1], /^jobd_workers_registered 0$/m);
  assert.match(texts[1], /^jobd_table_retrying\{target="we\\"ird"\} 2$/m);
  assert.match(texts[1], /^jobd_table_timed_out_last_hour\{target="we\\"ird"\} 1$/m);
  assert.match(
    texts[1],
    /^jobd_schedule_next_run_timestamp_seconds\{schedule="nightly",target="build"\} 1800000000$/m,
  );
  assert.doesNotMatch(texts[1], /^jobd_schedule_last_run_timestamp_seconds\{/m, "never ran");

  const uncached = sources(() => STATS);
  const always = new MasterMetrics(uncached.sources, 0);
  await always.registry.expose();
  await always.registry.expose();
  assert.equal(uncached.asked.stats, 2);
});

Deno.test("a failed stats request shows jobd_table_stats_up 0; a bad answer is read with care", async () => {
  let answer: () => unknown = () => {
    throw new Error("no worker is registered");
  };
  const { sources: from } = sources(() => answer());
  const metrics = new MasterMetrics(from, 0);
  assert.match(await metrics.registry.expose(), /^jobd_table_stats_up 0$/m);
  answer = () => STATS;
  assert.match(
    await metrics.registry.expose(),
    /^jobd_table_jobs\{target="we\\"ird",status="waiting"\} 4$/m,
  );
  answer = () => {
    throw new Error("worker 'w1' did not answer");
  };
  const lost = await metrics.registry.expose();
  assert.match(lost, /^jobd_table_stats_up 0$/m);
  assert.doesNotMatch(lost, /^jobd_table_(jobs|oldest|done|retrying|timed)/m, "no stale counts");
  answer = () => ({ targets: { t: { waiting: "many", running: -1, lastHour: null } } });
  const text = await metrics.registry.expose();
  assert.match(text, /^jobd_table_stats_up 1$/m);
  assert.doesNotMatch(text, /^jobd_table_jobs\{/m);
  assert.doesNotMatch(text, /^jobd_table_(retrying|timed_out_last_hour)\{/m, "not counted");
  assert.doesNotMatch(text, /^jobd_table_oldest_waiting_seconds\{/m, "not known how many wait");
});

Deno.test("the oldest waiting row's age is 0 when none waits, and left out when the table gives none", async () => {
  const target = (waiting: number, oldestWaitingAge: number | null) => ({
    waiting,
    delayed: 0,
    manual: 0,
    accepted: 0,
    running: 0,
    lastHour: { ok: 0, fail: 0 },
    timedOut: { lastHour: 0 },
    retrying: null,
    oldestWaitingAge,
  });
  const { sources: from } = sources(() => ({
    // "idle": nothing waits. "busy": a table without the optional column time_created.
    targets: { idle: target(0, null), busy: target(500, null), old: target(3, 900) },
  }));
  const text = await new MasterMetrics(from, 0).registry.expose();
  assert.match(text, /^jobd_table_oldest_waiting_seconds\{target="idle"\} 0$/m);
  assert.match(text, /^jobd_table_oldest_waiting_seconds\{target="old"\} 900$/m);
  // An alert on the age (> 600) must not read "500 rows waiting" as "none waited long".
  assert.doesNotMatch(text, /^jobd_table_oldest_waiting_seconds\{target="busy"\}/m);
  assert.match(text, /^jobd_table_jobs\{target="busy",status="waiting"\} 500$/m);
});

Deno.test("jobd_worker_up shows every registered worker, and the last 1,000 gone ones at 0", async () => {
  const { answers } = sources(() => STATS);
  let workers = Array.from(
    { length: 1_200 },
    (_, index) => ({ name: `pod-${index}`, targets: [] }),
  );
  const metrics = new MasterMetrics({
    registry: {
      get workers() {
        return workers;
      },
    },
    answers,
  });
  const up = async (): Promise<[string, string][]> => {
    const text = await metrics.registry.expose();
    const lines = text.matchAll(/^jobd_worker_up\{worker="([^"]+)"\} (\d)$/gm);
    return [...lines].map((line) => [line[1], line[2]]);
  };
  assert.equal((await up()).length, 1_200, "each registered worker, however many");
  // Every pod restarts under a new name (containers named by their host name).
  workers = [{ name: "pod-new", targets: [] }];
  const after = new Map(await up());
  assert.equal(after.get("pod-new"), "1", "a new worker shows though 1,200 names were seen");
  assert.equal(after.size, 1 + MAX_REMEMBERED_WORKERS);
  assert.equal(after.get("pod-1199"), "0");
  assert.equal(after.has("pod-0"), false, "the longest gone are forgotten first");
  // A gone worker that registers again is up, and no longer among the gone.
  workers = [{ name: "pod-1199", targets: [] }];
  const back = new Map(await up());
  assert.equal(back.get("pod-1199"), "1");
  assert.equal(back.get("pod-new"), "0");
});

Deno.test("the status page's answers serve the scrapes within the cache time; the page asks anew", async () => {
  const { asked, answers, sources: from } = sources(() => STATS);
  const metrics = new MasterMetrics(from, 60_000);
  // The status page takes no kept answer: each report asks (or shares the request under way).
  assert.equal((await answers.stats()).ok, true);
  await answers.schedules();
  assert.match(await metrics.registry.expose(), /^jobd_table_stats_up 1$/m);
  assert.deepEqual(asked, { stats: 1, schedules: 1 }, "the scrape took the page's answers");
  await Promise.all([answers.stats(), metrics.registry.expose(), answers.stats()]);
  assert.deepEqual(asked, { stats: 2, schedules: 1 }, "one new request, shared by all three");
  answers.forget();
  await metrics.registry.expose();
  assert.deepEqual(asked, { stats: 3, schedules: 2 }, "after an action, asked anew");
});

Deno.test("a failed schedules request leaves the schedules' series out rather than shown stale", async () => {
  let answer: () => unknown = () => SCHEDULES;
  const { sources: from } = sources(() => STATS, () => answer());
  const metrics = new MasterMetrics(from, 0);
  assert.match(
    await metrics.registry.expose(),
    /^jobd_schedule_next_run_timestamp_seconds\{schedule="nightly",target="build"\} 1800000000$/m,
  );
  answer = () => {
    throw new Error("no worker is registered");
  };
  const lost = await metrics.registry.expose();
  assert.doesNotMatch(lost, /^jobd_schedule_next_run_timestamp_seconds\{/m, "no stale times");
  assert.match(lost, /^# TYPE jobd_schedule_next_run_timestamp_seconds gauge$/m);
});
