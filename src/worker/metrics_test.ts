import assert from "node:assert/strict";
import type { ClaimedJob, JobOutcome } from "../job.ts";
import type { ScheduleInfo } from "../protocol/requests.ts";
import { MemoryStore } from "../../tests/helpers/memory_store.ts";
import { workerOn } from "../../tests/helpers/worker_in_process.ts";
import { answerWithin } from "../deadline.ts";
import { WorkerMetrics } from "./metrics.ts";

const job: ClaimedJob = { id: 7, target: "t1", origin: "waiting" };

function outcome(result: "ok" | "fail", stderr = ""): JobOutcome {
  return { result, code: result === "ok" ? 0 : null, signal: null, stdout: "", stderr };
}

/** The value of one sample line of the exposition. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((line) => line.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

Deno.test("the metrics count ended jobs by result, their run time, and the jobs stopped at their limit", async () => {
  const metrics = new WorkerMetrics();
  metrics.jobStarted(job, 20);
  metrics.jobEnded(job, { id: 7, target: "t1", outcome: outcome("ok"), ms: 1500 });
  metrics.jobStarted(job, undefined);
  metrics.jobEnded(job, {
    id: 7,
    target: "t1",
    outcome: { ...outcome("fail", "[jobd: timed out after 2 s]"), signal: "SIGTERM" },
    ms: 2500,
    timedOutAfter: 2,
  });
  // A job whose stderr merely looks like the note was not stopped by the worker.
  metrics.jobEnded(job, {
    id: 7,
    target: "t1",
    outcome: outcome("fail", "[jobd: timed out after 2 s]"),
    ms: 500,
  });
  const text = await metrics.registry.expose();
  assert.equal(sample(text, 'jobd_jobs_started_total{target="t1"}'), 2);
  assert.equal(sample(text, 'jobd_jobs_finished_total{target="t1",result="ok"}'), 1);
  assert.equal(sample(text, 'jobd_jobs_finished_total{target="t1",result="fail"}'), 2);
  assert.equal(sample(text, 'jobd_job_timeouts_total{target="t1"}'), 1);
  assert.equal(sample(text, 'jobd_job_duration_seconds_count{target="t1"}'), 3);
  assert.equal(sample(text, 'jobd_job_duration_seconds_sum{target="t1"}'), 4.5);
  assert.equal(sample(text, 'jobd_job_duration_seconds_bucket{target="t1",le="1"}'), 1);
  assert.equal(sample(text, 'jobd_job_wait_seconds_count{target="t1"}'), 1);
  assert.equal(sample(text, 'jobd_job_wait_seconds_sum{target="t1"}'), 0.02);
});

Deno.test("a failed read of the job board leaves the schedules' series out rather than shown stale", async () => {
  await using setup = await workerOn(new MemoryStore());
  const metrics = new WorkerMetrics();
  let read: () => Promise<ScheduleInfo[]> = () =>
    Promise.resolve([{
      name: "nightly",
      target: "t1",
      rule: "cron 0 3 * * *",
      enabled: true,
      served: true,
      nextRunAt: 1_800_000_000,
      lastRunAt: 1_700_000_000,
      lastJobId: 5,
      lastStatus: "done",
      lastResult: "ok",
      runs: 1,
      paused: false,
      finished: false,
    }]);
  metrics.watch({
    worker: setup.worker,
    databaseProblem: () => Promise.resolve(undefined),
    schedules: () => read(),
  });
  const series = 'jobd_schedule_last_run_timestamp_seconds{schedule="nightly",target="t1"}';
  assert.equal(sample(await metrics.registry.expose(), series), 1_700_000_000);
  read = () => Promise.reject(new Error("Cannot read the schedules: connect ECONNREFUSED"));
  const errors: unknown[] = [];
  const text = await metrics.registry.expose((error) => errors.push(error));
  assert.equal(sample(text, series), undefined);
  assert.equal(errors.length, 1);
});

Deno.test("a read of the job board that does not answer leaves the schedules out, and the scrape answers", async () => {
  await using setup = await workerOn(new MemoryStore());
  const metrics = new WorkerMetrics();
  // A database that hangs (a frozen server, a lost network without a reset) never answers.
  metrics.watch({
    worker: setup.worker,
    databaseProblem: () => Promise.resolve("no answer within 5 s"),
    schedules: () => new Promise<ScheduleInfo[]>(() => {}),
  }, 100);
  const errors: unknown[] = [];
  const scrape = await answerWithin(() => metrics.registry.expose((e) => errors.push(e)), 60_000);
  assert.ok(scrape.ok, "the scrape answers");
  assert.equal(sample(scrape.value, "jobd_database_up"), 0);
  assert.doesNotMatch(scrape.value, /^jobd_schedule_next_run_timestamp_seconds\{/m);
  assert.deepEqual(errors.map(String), [
    "Error: Cannot read the job board's schedules: no answer within 0.1 s",
  ]);
});
