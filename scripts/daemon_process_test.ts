import assert from "node:assert/strict";
import { Daemon, DaemonError, freePort, iniText, programArgs, ROOT } from "./daemon_process.ts";
import { runFlags } from "./permissions.ts";

/** A shell command as a daemon (the tests' stand-in for a program). */
function shell(script: string): Daemon {
  return new Daemon("sh", "/bin/sh", { args: ["-c", script] });
}

Deno.test("iniText writes global keys, leaves undefined ones out, then the sections", () => {
  assert.equal(
    iniText({ host: "127.0.0.1", port: 7080, name: undefined, always_allow_localhost: true }, {
      targets: { build: 2, mail: 1 },
    }),
    "host = 127.0.0.1\nport = 7080\nalways_allow_localhost = true\n\n[targets]\nbuild = 2\nmail = 1\n",
  );
});

Deno.test("freePort gives a loopback port that can be listened on", () => {
  const port = freePort();
  using listener = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal(listener.addr.port, port);
});

Deno.test("freePort hands out ports below the outgoing connections' range, each once", () => {
  const ports = Array.from({ length: 200 }, () => freePort());
  assert.equal(new Set(ports).size, ports.length);
  // Linux's default ephemeral range starts at 32768: a connection opened meanwhile cannot take them.
  assert.ok(ports.every((port) => port >= 20_000 && port <= 32_767), ports.join(" "));
});

Deno.test("programArgs runs a program from source with its binary's flags", () => {
  const args = programArgs("jobctl", ["--version"]);
  assert.deepEqual(args, ["run", ...runFlags("jobctl"), `${ROOT}jobctl.ts`, "--version"]);
});

Deno.test("a daemon that exits before it listens is reported with its output", async () => {
  await using daemon = shell("echo starting; echo 'bad config' >&2; exit 3");
  const error = await daemon.waitForPort(freePort(), 10).catch((error) => error);
  assert.ok(error instanceof DaemonError);
  assert.match(error.message, /^sh exited with status 3 before listening on 127\.0\.0\.1:\d+:/);
  assert.match(error.message, /starting\nbad config|bad config\nstarting/);
  const { stdout, stderr } = await daemon.finished();
  assert.deepEqual([stdout, stderr], ["starting\n", "bad config\n"]);
});

/** Waits until the daemon has printed `ready` (its trap is set). */
async function ready(daemon: Daemon): Promise<void> {
  while (!daemon.stdout.includes("ready")) {
    await daemon.assertRunning();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("stop ends a daemon with SIGTERM, or with SIGKILL after the grace", async () => {
  await using polite = shell("trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done");
  await ready(polite);
  const ended = await polite.stop(10);
  assert.deepEqual([ended.forced, ended.status.code], [false, 0]);

  await using stubborn = shell("trap '' TERM; echo ready; while :; do sleep 0.05; done");
  await ready(stubborn);
  const killed = await stubborn.stop(0.3);
  assert.deepEqual([killed.forced, killed.status.signal], [true, "SIGKILL"]);
  assert.equal(stubborn.kill(), false, "it has exited");
});

Deno.test("a daemon's output can go to a log file, read back by output()", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jobd-daemon-process-" });
  try {
    const daemon = new Daemon("sh", "/bin/sh", {
      args: ["-c", "for i in 1 2 3 4; do echo line $i; done"],
      logPath: `${dir}/sh.log`,
    });
    const { status } = await daemon.finished(); // the log is written when it resolves
    assert.equal(status.code, 0);
    assert.equal(await daemon.output(2), "line 3\nline 4");
    assert.equal(await Deno.readTextFile(`${dir}/sh.log`), "line 1\nline 2\nline 3\nline 4\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
