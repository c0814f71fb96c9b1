import assert from "node:assert/strict";
import { launchJob } from "./launcher.ts";
import { shellJob } from "../../tests/helpers/shell_job.ts";
import {
  DueCalls,
  findProgram,
  groupCommand,
  LEFTOVER_GRACE_MS,
  PIPES_AFTER_KILL_MS,
  setsidExecFailure,
} from "./process_group.ts";
import { processAlive, waitFor } from "../../tests/helpers/processes.ts";

/** Both ways of starting a job in a group of its own. */
const GROUP_STARTS = [
  { name: "through setsid", groupStart: undefined },
  { name: "with detached: true", groupStart: null },
] as const;

/** The process group of process `pid`, from /proc. */
async function groupOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** Waits until process `pid` is gone; fails after `seconds`. */
async function gone(pid: number, seconds = 10): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (await processAlive(pid)) {
    if (Date.now() > deadline) {
      Deno.kill(pid, "SIGKILL");
      assert.fail(`process ${pid} still runs after ${seconds} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A temporary directory for a job's notes to the test (`$T` in its script), removed after. */
async function notesDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix: "jobd_group_test_" }));
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** The pid the job's script wrote to `$T/pid` with {@linkcode TELL_BACKGROUND_PID}. */
async function backgroundPid(dir: string): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const text = await Deno.readTextFile(`${dir}/pid`).catch(() => "");
    if (text.endsWith("\n")) return Number(text.trim());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`no pid written to ${dir}/pid`);
}

/** Shell text that writes the pid of the last background command to `$T/pid`. */
const TELL_BACKGROUND_PID = `echo $! > "$T/pid.new" && mv "$T/pid.new" "$T/pid"`;

/** Shell text that waits until the background command has written `$T/ready`. */
const AWAIT_READY = `while [ ! -e "$T/ready" ]; do sleep 0.01; done`;

for (const { name, groupStart } of GROUP_STARTS) {
  Deno.test(`${name}: the launcher leads a process group of its own`, async () => {
    await using dir = await notesDir();
    const job = launchJob(
      1,
      shellJob(`sleep 30 & ${TELL_BACKGROUND_PID}; wait`, { groupStart, env: { T: dir.path } }),
    );
    const child = await backgroundPid(dir.path);
    assert.ok(job.pid !== undefined);
    assert.equal(await groupOf(job.pid), job.pid);
    assert.equal(await groupOf(child), job.pid);
    assert.notEqual(job.pid, await groupOf(Deno.pid));
    assert.equal(job.signal("SIGKILL"), true);
    await job.done;
    await gone(child);
  });

  Deno.test(`${name}: a background child left running ends with the launcher; the job ends at once`, async () => {
    await using dir = await notesDir();
    const started = Date.now();
    const job = launchJob(
      2,
      shellJob(`sleep 300 & ${TELL_BACKGROUND_PID}; echo started`, {
        groupStart,
        env: { T: dir.path },
      }),
    );
    const child = await backgroundPid(dir.path);
    assert.deepEqual(await job.done, {
      result: "ok",
      code: 0,
      signal: null,
      stdout: "started\n",
      stderr: "",
    });
    assert.ok(
      Date.now() - started < LEFTOVER_GRACE_MS,
      "the job ends when the SIGTERMed child closes the pipes, before any grace",
    );
    await gone(child);
    assert.equal(job.signal("SIGTERM"), false, "nothing of an ended job is signalled");
  });
}

Deno.test("signal() reaches every process of the job's group, not only the launcher", async () => {
  await using dir = await notesDir();
  const job = launchJob(
    3,
    shellJob(`sleep 300 & ${TELL_BACKGROUND_PID}; wait`, { env: { T: dir.path } }),
  );
  const child = await backgroundPid(dir.path);
  assert.equal(job.signal("SIGTERM"), true);
  const outcome = await job.done;
  assert.equal(outcome.signal, "SIGTERM");
  await gone(child);
});

Deno.test("what is left of the group may answer SIGTERM; what it writes then is kept", async () => {
  await using dir = await notesDir();
  const job = launchJob(
    4,
    shellJob(
      `(trap 'echo "child got TERM"; exit 0' TERM; : > "$T/ready"; ` +
        `while :; do sleep 0.05; done) & ` +
        `${TELL_BACKGROUND_PID}; ${AWAIT_READY}; echo "launcher done"; exit 3`,
      { env: { T: dir.path } },
    ),
  );
  const child = await backgroundPid(dir.path);
  const outcome = await job.done;
  assert.deepEqual([outcome.result, outcome.code], ["fail", 3], "the launcher's own status");
  assert.equal(outcome.stdout, "launcher done\nchild got TERM\n");
  await gone(child);
});

Deno.test("a leftover that ignores SIGTERM gets SIGKILL after the grace", async () => {
  await using dir = await notesDir();
  const job = launchJob(
    5,
    shellJob(
      `(trap '' TERM; : > "$T/ready"; exec sleep 300) & ` +
        `${TELL_BACKGROUND_PID}; ${AWAIT_READY}; echo started`,
      { env: { T: dir.path } },
    ),
  );
  const child = await backgroundPid(dir.path);
  const started = Date.now();
  const outcome = await job.done;
  const took = Date.now() - started;
  assert.deepEqual([outcome.result, outcome.code, outcome.stdout], ["ok", 0, "started\n"]);
  assert.ok(took >= LEFTOVER_GRACE_MS - 500, `ended after ${took} ms, before the grace`);
  await gone(child);
});

Deno.test("a leftover that closed its pipes and ignores SIGTERM is still killed after the grace", async () => {
  await using dir = await notesDir();
  const job = launchJob(
    6,
    shellJob(
      `(trap '' TERM; : > "$T/ready"; exec sleep 300 >/dev/null 2>&1) & ` +
        `${TELL_BACKGROUND_PID}; ${AWAIT_READY}; echo started`,
      { env: { T: dir.path } },
    ),
  );
  const child = await backgroundPid(dir.path);
  const outcome = await job.done;
  assert.equal(outcome.stdout, "started\n");
  assert.equal(await processAlive(child), true, "the job did not wait for it");
  await gone(child, LEFTOVER_GRACE_MS / 1000 + 5);
});

Deno.test("killLeftovers() sends the SIGKILL due to a leftover at once, not after the grace", async () => {
  await using dir = await notesDir();
  const job = launchJob(
    8,
    shellJob(
      `(trap '' TERM; : > "$T/ready"; exec sleep 300 >/dev/null 2>&1) & ` +
        `${TELL_BACKGROUND_PID}; ${AWAIT_READY}`,
      { env: { T: dir.path } },
    ),
  );
  const child = await backgroundPid(dir.path);
  await job.done;
  assert.equal(await processAlive(child), true, "SIGTERM is ignored");
  const started = Date.now();
  job.killLeftovers();
  await job.settled;
  await gone(child);
  assert.ok(Date.now() - started < LEFTOVER_GRACE_MS, "before the grace ended");
});

/**
 * A job whose launcher starts `sleep 300` in a session of its own (out of the
 * job's group, holding its pipes), tells its pid in `dir`, waits until it
 * runs there and prints `started`.
 */
function escapingJob(dir: string) {
  return shellJob(
    `setsid sleep 300 & ${TELL_BACKGROUND_PID}; ` +
      `until [ "$(cut -d' ' -f6 /proc/$!/stat)" = "$!" ]; do sleep 0.01; done; echo started`,
    { env: { T: dir } },
  );
}

Deno.test("a process that left the group keeps running; the job stops reading the pipes it holds", async () => {
  await using dir = await notesDir();
  const job = launchJob(7, escapingJob(dir.path));
  const escaped = await backgroundPid(dir.path);
  try {
    const started = Date.now();
    const outcome = await job.done;
    const took = Date.now() - started;
    assert.equal(outcome.code, 0);
    assert.match(outcome.stdout, /^started\n\n\[jobd: stopped reading: the pipe was still open/);
    assert.ok(took >= LEFTOVER_GRACE_MS + PIPES_AFTER_KILL_MS - 500, `ended after ${took} ms`);
    assert.equal(await processAlive(escaped), true, "out of the group's reach");
  } finally {
    Deno.kill(escaped, "SIGKILL");
  }
  await gone(escaped);
});

Deno.test("findProgram looks in the PATH's absolute directories for an executable file", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "jobd_group_test_" }));
  try {
    await Deno.writeTextFile(`${dir}/plain`, "", { mode: 0o644 });
    await Deno.writeTextFile(`${dir}/tool`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.mkdir(`${dir}/sub/tool`, { recursive: true });
    assert.equal(findProgram("tool", `relative:${dir}/sub:${dir}`), `${dir}/tool`);
    assert.equal(findProgram("plain", dir), undefined);
    assert.equal(findProgram("tool", ""), undefined);
    assert.equal(findProgram("tool", undefined), findProgram("tool", Deno.env.get("PATH")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("groupCommand puts the launcher after setsid's '--', or asks for detached", () => {
  assert.deepEqual(groupCommand(["-odd", "a"], "/usr/bin/setsid"), {
    program: "/usr/bin/setsid",
    args: ["--", "-odd", "a"],
    detached: false,
  });
  assert.deepEqual(groupCommand(["prog", "a"], null), {
    program: "prog",
    args: ["a"],
    detached: true,
  });
});

Deno.test("setsidExecFailure tells setsid's own failure from the launcher's exit", () => {
  const status = (code: number) => ({ success: false, code, signal: null });
  const notFound = setsidExecFailure(
    "/x/job",
    status(127),
    "",
    "setsid: failed to execute /x/job: No such file or directory\n",
  );
  assert.ok(notFound instanceof Deno.errors.NotFound);
  assert.equal(notFound.message, "failed to execute /x/job: No such file or directory");
  const denied = setsidExecFailure("/x/job", status(126), "", "setsid: /x/job: denied\n");
  assert.ok(denied instanceof Deno.errors.PermissionDenied);
  // The launcher ran: other codes, output on stdout, other text, several lines.
  assert.equal(setsidExecFailure("/x/job", status(1), "", "setsid: /x/job\n"), undefined);
  assert.equal(setsidExecFailure("/x/job", status(127), "x", "setsid: /x/job\n"), undefined);
  assert.equal(setsidExecFailure("/x/job", status(127), "", "sh: /x/job: not found\n"), undefined);
  assert.equal(setsidExecFailure("/x/job", status(127), "", "setsid: other\n"), undefined);
  assert.equal(
    setsidExecFailure("/x/job", status(127), "", "setsid: /x/job\nmore\n"),
    undefined,
  );
});

Deno.test("pipes held after an earlier job's pipes closed are still given up when their time comes", async () => {
  await using dir = await notesDir();
  // The first job's pipes close at once: its watch goes, the one timer stays set for its time.
  const quick = await launchJob(6, shellJob("true")).done;
  assert.equal(quick.code, 0);
  const job = launchJob(7, escapingJob(dir.path));
  const escaped = await backgroundPid(dir.path);
  try {
    const outcome = await job.done;
    assert.match(outcome.stdout, /^started\n\n\[jobd: stopped reading: the pipe was still open/);
  } finally {
    Deno.kill(escaped, "SIGKILL");
  }
  await gone(escaped);
});

Deno.test("DueCalls makes its calls after its delay in the order added, except those deleted", async () => {
  const calls = new DueCalls(20);
  const made: string[] = [];
  calls.add(() => made.push("first"));
  const deleted = calls.add(() => made.push("deleted"));
  calls.add(() => made.push("last"));
  calls.delete(deleted);
  await waitFor("the last call", () => made.includes("last"));
  assert.deepEqual(made, ["first", "last"]);
});

Deno.test("DueCalls sets its timer again for calls added after the one it was set for was deleted", async () => {
  const calls = new DueCalls(20);
  const made: string[] = [];
  calls.delete(calls.add(() => made.push("deleted")));
  // Added while the timer is set for the deleted call: it is set again for this one.
  calls.add(() => made.push("kept"));
  await waitFor("the kept call", () => made.includes("kept"));
  // Added once nothing waits: a timer is set anew.
  calls.add(() => made.push("later"));
  await waitFor("the later call", () => made.includes("later"));
  assert.deepEqual(made, ["kept", "later"]);
});

Deno.test("DueCalls of different delays keep their own time: a quick call is not held back by a slow one", async () => {
  const slow = new DueCalls(500);
  const quick = new DueCalls(10);
  const made: string[] = [];
  slow.add(() => made.push("slow"));
  quick.add(() => made.push("quick"));
  await waitFor("both calls", () => made.length === 2);
  assert.deepEqual(made, ["quick", "slow"]);
});
