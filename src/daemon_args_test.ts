import assert from "node:assert/strict";
import { parseDaemonArgs } from "./daemon_args.ts";

Deno.test("a daemon's options read as --config, --check-config, --help and --version", () => {
  assert.deepEqual(parseDaemonArgs(["-t", "-c", "/etc/jobd.conf"], "jobd", "usage"), {
    action: "check",
    configPath: "/etc/jobd.conf",
  });
  assert.deepEqual(parseDaemonArgs(["--config", "/etc/jobd.conf"], "jobd", "usage"), {
    action: "run",
    configPath: "/etc/jobd.conf",
  });
  assert.deepEqual(parseDaemonArgs([], "jobd", "usage"), {
    action: "exit",
    code: 0,
    text: "usage",
    stream: "stdout",
  });
});

Deno.test("options after a lone '--' (deno task passes one on) get a hint saying so", () => {
  const command = parseDaemonArgs(["--", "--config", "/etc/jobd.conf"], "jobd", "usage");
  assert.equal(command.action, "exit");
  assert.equal(command.action === "exit" && command.code, 2);
  assert.match(
    command.action === "exit" ? command.text : "",
    /^jobd: .*'--config'.* \(a lone '--' before it ends the options; with 'deno task', give the arguments straight after the task name\)\nTry 'jobd --help'\.$/,
  );
  const other = parseDaemonArgs(["--bogus"], "jobd-master", "usage");
  assert.equal(
    other.action === "exit" && other.text,
    "jobd-master: Unknown option '--bogus'\nTry 'jobd-master --help'.",
  );
});
