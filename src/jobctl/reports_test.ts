import assert from "node:assert/strict";
import type { WorkerInfo } from "../protocol/requests.ts";
import {
  memoryTable,
  registeredWorkersTable,
  runManualReport,
  signalsReport,
  workersTable,
} from "./reports.ts";
import { PLAIN } from "./table.ts";

Deno.test("the memory table shows bytes in human units and counters as numbers", () => {
  const text = memoryTable(
    { rss: 52_428_800, heapTotal: 10_485_760, heapUsed: 5_242_880, external: 2048 },
    [["pendingJobPromises", 2]],
    PLAIN,
  );
  assert.equal(
    text,
    [
      "WHAT               |    VALUE",
      "------------------ | --------",
      "rss                | 50.0 MiB",
      "heapTotal          | 10.0 MiB",
      "heapUsed           |  5.0 MiB",
      "external           |  2.0 KiB",
      "pendingJobPromises |        2",
      "",
    ].join("\n"),
  );
});

const workerStatus = (paused: boolean) => ({
  targets: {
    build: { concurrency: 2, length: 1, paused },
    deploy: { concurrency: 1, length: 0, paused: false },
  },
  jobPromisesCount: 0,
  memoryUsage: { rss: 1, heapTotal: 1, heapUsed: 1, external: 1 },
});

const workers: WorkerInfo[] = [
  {
    name: "web2",
    remoteAddr: "10.0.0.2",
    remotePort: 41000,
    targets: ["build", "deploy"],
    workerStatus: workerStatus(true),
  },
  {
    name: "db1",
    remoteAddr: "::1",
    remotePort: 41001,
    targets: ["backup"],
    workerStatusError: "Request 'status' timed out: no response within 10 s",
  },
  {
    name: "idle",
    remoteAddr: "10.0.0.3",
    remotePort: 41002,
    targets: [],
    workerStatus: { ...workerStatus(false), targets: {} },
  },
];

Deno.test("list-workers shows each worker's targets with concurrency, length and paused state", () => {
  const text = workersTable(workers, PLAIN);
  assert.equal(
    text,
    [
      "WORKER | ADDRESS        | TARGET | CONCURRENCY | LENGTH | PAUSED",
      "------ | -------------- | ------ | ----------- | ------ | ------",
      "db1    | [::1]:41001    | backup |           ? |      ? | ?",
      "idle   | 10.0.0.3:41002 | -      |           - |      - | -",
      "web2   | 10.0.0.2:41000 | build  |           2 |      1 | yes",
      "web2   | 10.0.0.2:41000 | deploy |           1 |      0 | no",
      "",
      "Worker 'db1' ([::1]:41001) did not report its status: " +
      "Request 'status' timed out: no response within 10 s",
      "",
    ].join("\n"),
  );
});

Deno.test("the master's status lists registered workers with their targets", () => {
  assert.equal(
    registeredWorkersTable(workers, PLAIN),
    [
      "WORKER | ADDRESS        | TARGETS",
      "------ | -------------- | -------------",
      "db1    | [::1]:41001    | backup",
      "idle   | 10.0.0.3:41002 | -",
      "web2   | 10.0.0.2:41000 | build, deploy",
      "",
    ].join("\n"),
  );
});

Deno.test("run-manual shows each job's result, exit, stdout and stderr in the order asked", () => {
  const rendered = runManualReport(
    {
      jobs: {
        "7": { result: "ok", code: 0, signal: null, stdout: "built\n", stderr: "" },
      },
    },
    [7],
    PLAIN,
  );
  assert.equal(rendered.text, "Job 7: ok, exit code 0\nstdout:\nbuilt\nstderr: (empty)\n");
  assert.equal(rendered.failure, undefined);
});

Deno.test("run-manual lists the ids asked in order, then each other id of the answer once", () => {
  const asked = Array.from({ length: 10_000 }, (_, i) => i + 1);
  const jobs = Object.fromEntries(
    Array.from({ length: 20_000 }, (_, i) => [
      i + 1,
      { result: "ok" as const, code: 0, signal: null, stdout: "", stderr: "" },
    ]),
  );
  const rendered = runManualReport({ jobs, errors: { "20001": "gone" } }, asked, PLAIN);
  const headings = rendered.text.split("\n").filter((line) => line.startsWith("Job "));
  assert.equal(headings.length, 20_001);
  assert.equal(headings[0], "Job 1: ok, exit code 0");
  assert.equal(headings[19_999], "Job 20000: ok, exit code 0");
  assert.equal(headings[20_000], "Job 20001: error: gone");
  assert.equal(rendered.failure, "1 of 20001 jobs did not succeed");
});

Deno.test("run-manual is a failure when a job failed, was killed or could not run", () => {
  const rendered = runManualReport(
    {
      jobs: {
        "9": { result: "fail", code: null, signal: "SIGTERM", stdout: "", stderr: "half" },
        "8": { result: "ok", code: 0, signal: null, stdout: "", stderr: "" },
      },
      errors: { "10": "status = done != manual" },
    },
    [10, 9, 8],
    PLAIN,
  );
  assert.equal(
    rendered.text,
    [
      "Job 10: error: status = done != manual",
      "",
      "Job 9: fail, killed by SIGTERM",
      "stdout: (empty)",
      "stderr:",
      "half",
      "",
      "Job 8: ok, exit code 0",
      "stdout: (empty)",
      "stderr: (empty)",
      "",
    ].join("\n"),
  );
  assert.equal(rendered.failure, "2 of 3 jobs did not succeed");
  assert.equal(
    runManualReport({ errors: { "4": "job 4 not found" } }, [4], PLAIN).failure,
    "job 4 did not succeed",
  );
});

Deno.test("a job missing from the answer is reported, not silently dropped", () => {
  const rendered = runManualReport({}, [5], PLAIN);
  assert.equal(rendered.text, "Job 5: error: not in the daemon's answer\n");
  assert.ok(rendered.failure);
});

Deno.test("send-signal shows what became of each signal and fails when one was not delivered", () => {
  const worker = signalsReport([
    { id: 3, signal: "SIGTERM", outcome: true },
    { id: 14, signal: 9, outcome: false },
  ], PLAIN);
  assert.equal(
    worker.text,
    [
      "ID | SIGNAL  | RESULT",
      "-- | ------- | -------------",
      " 3 | SIGTERM | delivered",
      "14 | SIGKILL | not delivered",
      "",
    ].join("\n"),
  );
  assert.equal(worker.failure, "1 of 2 signals were not delivered");

  const master = signalsReport([
    { id: 3, target: "build", signal: "SIGTERM", outcome: true },
    { id: 4, target: "gone", signal: "SIGTERM", outcome: "worker serving target 'gone' not found" },
  ], PLAIN);
  assert.match(master.text, /^ID \| TARGET \| SIGNAL {2}\| RESULT/);
  assert.match(
    master.text,
    /^ 4 \| gone {3}\| SIGTERM \| error: worker serving target 'gone' not found$/m,
  );
  assert.equal(signalsReport([{ id: 1, signal: 1, outcome: true }], PLAIN).failure, undefined);
});
