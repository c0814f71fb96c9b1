import assert from "node:assert/strict";
import {
  endLeftoverJobs,
  jobVariables,
  parseProcesses,
  readProcesses,
  tableIdentity,
  type WorkerIdentity,
} from "./leftover_jobs.ts";

const identity: WorkerIdentity = { worker: "w1", table: "/tmp/jobs.db:jobs" };

/** A process group of its own (`setsid`) running `script`, with `env` added. */
function startGroup(script: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["--", "sh", "-c", script],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Whether `pid` is alive (not a zombie), as the worker reads it. */
async function alive(pid: number): Promise<boolean> {
  const process = (await readProcesses()).get(pid);
  return process !== undefined && !process.zombie;
}

Deno.test("each job's environment names its worker, table and id", () => {
  assert.deepEqual(jobVariables(identity, 42), {
    JOBD_WORKER: "w1",
    JOBD_TABLE: "/tmp/jobs.db:jobs",
    JOBD_JOB_ID: "42",
  });
  assert.equal(
    tableIdentity(
      {
        kind: "mysql",
        host: "127.0.0.1",
        port: 3306,
        user: "u",
        password: "p",
        database: "jobd",
        table: "jobs",
      } as Parameters<typeof tableIdentity>[0],
    ),
    "127.0.0.1:3306/jobd.jobs",
  );
});

Deno.test("/proc records are read by pid: group, start time, state and the jobd variables only", () => {
  const text = [
    "/proc/10/stat:10 (a) b) c) S 1 10 10 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n",
    "/proc/10/environ:JOBD_WORKER=w=1",
    "/proc/10/environ:JOBD_JOB_ID=5",
    "/proc/11/stat:11 (sh) Z 10 10 10 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 778 0 0\n",
    "/proc/12/environ:JOBD_WORKER=gone",
    "",
  ].join("\0");
  const snapshot = parseProcesses(text);
  assert.deepEqual([...snapshot.keys()], [10, 11], "a process without stat is gone");
  const first = snapshot.get(10)!;
  assert.deepEqual([first.pgid, first.startTime, first.zombie], [10, "777", false]);
  assert.deepEqual(first.env, new Map([["JOBD_WORKER", "w=1"], ["JOBD_JOB_ID", "5"]]));
  assert.equal(snapshot.get(11)!.zombie, true);
});

Deno.test("the worker's own process is among the processes read", async () => {
  const own = (await readProcesses()).get(Deno.pid);
  assert.ok(own, "own process read");
  assert.equal(own.zombie, false);
});

Deno.test("a leftover job's groups are ended, one that ignores SIGTERM after its grace; other workers' processes are left alone", async () => {
  const ignoring = "trap '' TERM; sleep 60 & wait";
  const leftover = startGroup(ignoring, jobVariables(identity, 7));
  // A process the job started in a session of its own, with the job's variables: that run's too.
  const detached = startGroup("sleep 60", jobVariables(identity, 7));
  const otherWorker = startGroup(ignoring, jobVariables({ ...identity, worker: "w2" }, 7));
  const otherTable = startGroup(ignoring, jobVariables({ ...identity, table: "other:jobs" }, 7));
  const otherJob = startGroup(ignoring, jobVariables(identity, 8));
  const all = [leftover, detached, otherWorker, otherTable, otherJob];
  try {
    // `setsid` has run once the variables are seen in a group of the child's own.
    for (const child of all) {
      for (let i = 0; i < 100; i++) {
        const seen = (await readProcesses()).get(child.pid);
        if (seen?.pgid === child.pid && seen.env.size > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const ended = await endLeftoverJobs(identity, [{ id: 7, graceSeconds: 1 }]);
    assert.deepEqual(ended, [7]);
    assert.equal((await leftover.status).signal, "SIGKILL", "SIGTERM was ignored");
    assert.equal(await alive(leftover.pid), false);
    assert.equal((await detached.status).signal, "SIGTERM");
    for (const child of [otherWorker, otherTable, otherJob]) {
      assert.equal(await alive(child.pid), true, `process ${child.pid} left alone`);
    }
  } finally {
    for (const child of all) {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
    }
  }
});

Deno.test("a leftover group that ends on SIGTERM is not waited for beyond that", async () => {
  const leftover = startGroup("sleep 60", jobVariables(identity, 9));
  try {
    for (let i = 0; i < 100; i++) {
      if ((await readProcesses()).get(leftover.pid)?.env.size) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(await endLeftoverJobs(identity, [{ id: 9, graceSeconds: 600 }]), [9]);
    assert.equal((await leftover.status).signal, "SIGTERM");
  } finally {
    await leftover.status;
  }
});

Deno.test("when /proc cannot be read, nothing is ended and nothing throws", async () => {
  const ended = await endLeftoverJobs(identity, [{ id: 1, graceSeconds: 1 }], {
    readProcesses: () => Promise.reject(new Error("there is no /proc on darwin")),
  });
  assert.deepEqual(ended, []);
});
