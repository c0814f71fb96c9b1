import assert from "node:assert/strict";
import { type LauncherSettings, launchJob } from "./launcher.ts";
import { shellJob } from "../../tests/helpers/shell_job.ts";
import { ReadBufferPool, truncationMarker } from "./output_capture.ts";
import { tempDir } from "../../tests/helpers/temp_dir.ts";

Deno.test("a launcher that exits 0 ends ok with its output", async () => {
  const job = launchJob(42, shellJob(`echo "job $1"; echo "note" >&2`));
  assert.equal(typeof job.pid, "number");
  assert.deepEqual(await job.done, {
    result: "ok",
    code: 0,
    signal: null,
    stdout: "job 42\n",
    stderr: "note\n",
  });
});

Deno.test("jobs one after another read their pipes into the same two pooled buffers", async () => {
  const readBuffers = new ReadBufferPool();
  const first = await launchJob(1, shellJob(`echo "first $1"; echo "err $1" >&2`, { readBuffers }))
    .done;
  assert.equal(readBuffers.idle, 2);
  const second = await launchJob(2, shellJob(`echo "second $1"`, { readBuffers })).done;
  assert.equal(readBuffers.idle, 2);
  assert.deepEqual([first.stdout, first.stderr], ["first 1\n", "err 1\n"]);
  assert.deepEqual([second.stdout, second.stderr], ["second 2\n", ""]);
});

Deno.test("a launcher that exits non-zero ends as fail with its code", async () => {
  const outcome = await launchJob(1, shellJob("echo failing >&2; exit 3")).done;
  assert.deepEqual(outcome, {
    result: "fail",
    code: 3,
    signal: null,
    stdout: "",
    stderr: "failing\n",
  });
});

Deno.test("output on both pipes written just before exit is kept whole", async () => {
  // 300 kB on each pipe is more than a pipe buffer holds, so the process
  // exits only after the reader has taken most of it.
  const outcome = await launchJob(
    7,
    shellJob(
      `head -c 300000 /dev/zero | tr '\\0' o; head -c 300000 /dev/zero | tr '\\0' e >&2; ` +
        `printf 'last out'; printf 'last err' >&2; exit 5`,
    ),
  ).done;
  assert.equal(outcome.code, 5);
  assert.equal(outcome.stdout, "o".repeat(300000) + "last out");
  assert.equal(outcome.stderr, "e".repeat(300000) + "last err");
});

Deno.test("output beyond the limit is dropped and marked, and the job still ends", async () => {
  const outcome = await launchJob(
    9,
    shellJob("head -c 10485760 /dev/zero | tr '\\0' a; echo done >&2"),
  ).done;
  assert.equal(outcome.result, "ok");
  assert.equal(outcome.stdout, "a".repeat(1048576) + truncationMarker(10485760 - 1048576));
  assert.equal(outcome.stderr, "done\n", "the limit applies to each pipe separately");
});

Deno.test("invalid UTF-8 output is stored with replacement characters", async () => {
  const outcome = await launchJob(10, shellJob("printf 'a\\377b'")).done;
  assert.equal(outcome.stdout, "a\uFFFDb");
});

Deno.test("a launcher killed by signal() ends with no code and the signal's name", async () => {
  const job = launchJob(11, { argv: ["/bin/sleep", "30"], env: {}, maxOutputBytes: 1024 });
  assert.equal(job.signal("SIGKILL"), true);
  assert.deepEqual(await job.done, {
    result: "fail",
    code: null,
    signal: "SIGKILL",
    stdout: "",
    stderr: "",
  });
});

Deno.test("a signal the launcher handles lets it finish its own way", async () => {
  const job = launchJob(
    12,
    shellJob(`trap 'echo "got TERM"; exit 4' TERM; echo ready; while :; do sleep 0.05; done`),
  );
  // Wait until the trap is installed: the script says so on stdout.
  const ready = launchReady(job.pid);
  await ready;
  assert.equal(job.signal("SIGTERM"), true);
  const outcome = await job.done;
  assert.equal(outcome.code, 4);
  assert.equal(outcome.stdout, "ready\ngot TERM\n");
});

/** Resolves once process `pid` has a child: the loop's first `sleep` runs after the trap is set. */
async function launchReady(pid: number | undefined): Promise<void> {
  assert.ok(pid !== undefined);
  for (;;) {
    const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
    if (children.trim() !== "") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("signal() after the launcher exited returns false", async () => {
  const job = launchJob(13, shellJob("exit 0"));
  await job.done;
  assert.equal(job.signal("SIGTERM"), false);
  assert.equal(job.signal("SIGKILL"), false);
});

Deno.test("the launcher gets the daemon's environment plus launcher.env, in launcher.cwd", async () => {
  await using dir = await tempDir("jobd_launcher_test_");
  const outcome = await launchJob(
    15,
    shellJob(`printf '%s|%s|%s' "$JOBD_TEST_VALUE" "$(pwd)" "\${PATH:+inherited}"`, {
      cwd: dir.path,
      env: { JOBD_TEST_VALUE: "two words; $HOME" },
    }),
  ).done;
  assert.equal(outcome.stdout, `two words; $HOME|${dir.path}|inherited`);
});

Deno.test("the launcher's environment names its worker, table and job id, over launcher.env", async () => {
  const outcome = await launchJob(
    17,
    shellJob(`printf '%s|%s|%s' "$JOBD_WORKER" "$JOBD_TABLE" "$JOBD_JOB_ID"`, {
      env: { JOBD_WORKER: "set by hand", JOBD_JOB_ID: "1" },
      identity: { worker: "w1", table: "/var/lib/jobd/jobs.db:jobs" },
    }),
  ).done;
  assert.equal(outcome.stdout, "w1|/var/lib/jobd/jobs.db:jobs|17");
});

Deno.test("arguments reach the launcher unsplit, with the id substituted", async () => {
  const outcome = await launchJob(16, {
    argv: ["/bin/sh", "-c", `printf '[%s]' "$@"`, "launcher", "a b {id}", "--id={id}", "*"],
    env: {},
    maxOutputBytes: 1024,
  }).done;
  assert.equal(outcome.stdout, "[a b 16][--id=16][*]");
});

Deno.test("the launcher's stdin is empty", async () => {
  const outcome = await launchJob(17, shellJob(`read line; echo "read status $?"`)).done;
  assert.equal(outcome.stdout, "read status 1\n");
});

Deno.test("a relative program is found in launcher.cwd", async () => {
  await using dir = await tempDir("jobd_launcher_test_");
  await Deno.writeTextFile(`${dir.path}/job.sh`, '#!/bin/sh\necho "relative $1"\n', {
    mode: 0o755,
  });
  const outcome = await launchJob(18, {
    argv: ["./job.sh", "{id}"],
    cwd: dir.path,
    env: {},
    maxOutputBytes: 1024,
  }).done;
  assert.equal(outcome.stdout, "relative 18\n");
});

/**
 * Launches `argv` and checks it ended unstarted, not to be retried, with a
 * reason matching `reason`: started through `setsid` (which then fails to
 * execute the launcher) and with `detached: true` (whose spawn fails).
 */
async function assertNotStarted(
  settings: Partial<LauncherSettings> & Pick<LauncherSettings, "argv">,
  reason: RegExp,
): Promise<void> {
  for (const groupStart of [undefined, null]) {
    const job = launchJob(99, { env: {}, maxOutputBytes: 1024, groupStart, ...settings });
    assert.equal(job.retryable, false);
    const outcome = await job.done;
    assert.equal(job.signal("SIGKILL"), false);
    assert.deepEqual({ ...outcome, stderr: "" }, {
      result: "fail",
      code: null,
      signal: null,
      stdout: "",
      stderr: "",
    });
    assert.match(outcome.stderr, reason, `with groupStart ${groupStart}`);
  }
}

Deno.test("a missing program ends as fail with the reason in stderr", async () => {
  await assertNotStarted(
    { argv: ["/nonexistent/jobd-launcher", "{id}"] },
    /^Cannot start job 99: the launcher '\/nonexistent\/jobd-launcher' does not exist$/,
  );
  await assertNotStarted(
    { argv: ["jobd-no-such-launcher-program"] },
    /^Cannot start job 99: the launcher 'jobd-no-such-launcher-program' was not found in PATH$/,
  );
});

Deno.test("a missing or wrong working directory ends as fail naming the directory", async () => {
  await using dir = await tempDir("jobd_launcher_test_");
  await assertNotStarted(
    { argv: ["/bin/true"], cwd: `${dir.path}/missing` },
    new RegExp(`^Cannot start job 99: the working directory '${dir.path}/missing' does not exist$`),
  );
  await Deno.writeTextFile(`${dir.path}/file`, "");
  await assertNotStarted(
    { argv: ["/bin/true"], cwd: `${dir.path}/file` },
    new RegExp(
      `^Cannot start job 99: the working directory '${dir.path}/file' is not a directory$`,
    ),
  );
});

Deno.test("a program that cannot be executed ends as fail with the reason", async () => {
  await using dir = await tempDir("jobd_launcher_test_");
  await Deno.writeTextFile(`${dir.path}/plain.txt`, "echo hi\n", { mode: 0o644 });
  await assertNotStarted(
    { argv: [`${dir.path}/plain.txt`] },
    /the launcher '.*\/plain\.txt' cannot be run: permission denied \(is it an executable file\?\)$/,
  );
  await assertNotStarted({ argv: [dir.path] }, /the launcher '.*' is a directory$/);
  await Deno.writeTextFile(`${dir.path}/bad.sh`, "#!/nonexistent/interpreter\n", { mode: 0o755 });
  await assertNotStarted(
    { argv: [`${dir.path}/bad.sh`] },
    /the launcher '.*\/bad\.sh' exists, but its interpreter \(the #! line\) was not found$/,
  );
});

Deno.test("an empty command ends as fail instead of throwing", async () => {
  await assertNotStarted({ argv: [] }, /^Cannot start job 99: the launcher command is empty$/);
});

Deno.test("an invalid output limit ends as fail before anything is started", async () => {
  await assertNotStarted(
    { argv: ["/bin/true"], maxOutputBytes: -1 },
    /^Cannot start job 99: invalid output limit '-1'$/,
  );
});

Deno.test("a setsid gone since start-up is named as the reason, not the launcher", async () => {
  await using dir = await tempDir("jobd_launcher_test_");
  const outcome = await launchJob(19, {
    argv: ["/bin/true"],
    env: {},
    maxOutputBytes: 1024,
    groupStart: `${dir.path}/setsid`,
  }).done;
  assert.equal(outcome.result, "fail");
  assert.match(
    outcome.stderr,
    new RegExp(
      `^Cannot start job 19: '${dir.path}/setsid', which starts each job in a process group of its own, does not exist`,
    ),
  );
});
