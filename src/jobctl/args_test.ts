import assert from "node:assert/strict";
import { parseCommandLine } from "./args.ts";
import { UsageError } from "./usage_error.ts";

function usageError(args: string[]): UsageError {
  try {
    parseCommandLine(args);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    return error;
  }
  assert.fail(`expected a UsageError for ${JSON.stringify(args)}`);
}

Deno.test("the command and its arguments follow the options", () => {
  assert.deepEqual(parseCommandLine(["--host", "10.0.0.5", "-p", "7090", "poll", "a", "b"]), {
    action: "run",
    command: "poll",
    args: ["a", "b"],
    options: {
      master: undefined,
      host: "10.0.0.5",
      port: 7090,
      configPath: undefined,
      askPassword: false,
      logLevel: undefined,
      json: false,
      timeout: undefined,
    },
    commandOptions: {},
  });
});

Deno.test("options may also come after the command; a lone -- ends them", () => {
  const line = parseCommandLine(["pause", "build", "--json", "--master", "--", "--odd-name"]);
  assert.equal(line.action, "run");
  if (line.action !== "run") return;
  assert.deepEqual(line.args, ["build", "--odd-name"]);
  assert.equal(line.options.json, true);
  assert.equal(line.options.master, true);
});

Deno.test("every option is read into its typed value", () => {
  const line = parseCommandLine([
    "--master",
    "--config",
    "/tmp/j.conf",
    "--password",
    "--log-level",
    "debug",
    "--timeout",
    "2.5",
    "status",
  ]);
  assert.equal(line.action, "run");
  if (line.action !== "run") return;
  assert.deepEqual(line.options, {
    master: true,
    host: undefined,
    port: undefined,
    configPath: "/tmp/j.conf",
    askPassword: true,
    logLevel: "debug",
    json: false,
    timeout: 2.5,
  });
});

Deno.test("--no-master overrides a config file's master = true", () => {
  const line = parseCommandLine(["--no-master", "status"]);
  assert.equal(line.action === "run" && line.options.master, false);
});

Deno.test("--help shows the program's help, or a command's help after the command", () => {
  assert.deepEqual(
    [parseCommandLine(["--help"]), parseCommandLine(["-h"])].map((line) => line.action),
    ["help", "help"],
  );
  const line = parseCommandLine(["run-manual", "--help"]);
  assert.equal(line.action, "help");
  assert.equal(line.action === "help" && line.command, "run-manual");
});

Deno.test("'help [COMMAND]' is --help: the program's help, or the command's", () => {
  assert.deepEqual(
    [parseCommandLine(["help"]), parseCommandLine(["help", "run-manual"])].map((line) =>
      line.action === "help" ? line.command ?? "" : line.action
    ),
    ["", "run-manual"],
  );
  assert.equal(parseCommandLine(["--master", "help", "poke"]).action, "help");
  // Not taken for a command called 'help' when more words follow.
  assert.equal(
    usageError(["help", "jobs", "show"]).message,
    "'help' takes at most one command name, got 2",
  );
});

Deno.test("options after a lone '--' (deno task passes one on) are a usage error saying so", () => {
  assert.throws(() => parseCommandLine(["--", "-p", "7080", "list-targets"]), {
    name: "UsageError",
    message: "unknown command '-p' (a lone '--' before it ends the options; with 'deno task', " +
      "give the arguments straight after the task name)",
  });
});

Deno.test("no arguments at all ask for the help, as the older jobctl did", () => {
  assert.equal(parseCommandLine([]).action, "help");
});

Deno.test("--version asks for the version, whatever else is given", () => {
  assert.deepEqual(parseCommandLine(["--version"]), { action: "version" });
  assert.deepEqual(parseCommandLine(["status", "-V"]), { action: "version" });
});

Deno.test("options without a command are a usage error", () => {
  assert.equal(usageError(["--master"]).message, "missing command");
});

Deno.test("an unknown option or a missing option value is a usage error pointing to --help", () => {
  const unknown = usageError(["--frobnicate", "status"]);
  assert.match(unknown.message, /^unknown option '--frobnicate'/);
  assert.equal(unknown.hint, "Try 'jobctl --help'");
  assert.match(usageError(["status", "--port"]).message, /--port <value>' argument missing/);
});

Deno.test("bad option values are usage errors that name the option and the value", () => {
  assert.equal(
    usageError(["--port", "70x", "status"]).message,
    "invalid --port '70x': expected an integer from 1 to 65535",
  );
  assert.match(usageError(["--port", "0", "status"]).message, /^invalid --port '0'/);
  assert.match(usageError(["--port", "65536", "status"]).message, /^invalid --port '65536'/);
  assert.equal(
    usageError(["--log-level", "loud", "status"]).message,
    "invalid --log-level 'loud': expected one of trace, debug, info, warn, error",
  );
  assert.match(usageError(["--timeout=-1", "status"]).message, /^invalid --timeout '-1'/);
  assert.match(usageError(["--timeout", "soon", "status"]).message, /^invalid --timeout 'soon'/);
  assert.match(usageError(["--host", "", "status"]).message, /^invalid --host ''/);
});

Deno.test("--timeout above the longest timer (2147483 s) is refused, naming the limit", () => {
  // A longer JavaScript timer fires after 1 ms: jobctl would give up at once.
  assert.equal(
    usageError(["--timeout", "3000000", "status"]).message,
    "invalid --timeout '3000000': at most 2147483 seconds " +
      "(about 24 days, the longest a timer waits; 0 = wait for ever)",
  );
  const longest = parseCommandLine(["--timeout", "2147483", "status"]);
  assert.equal(longest.action === "run" && longest.options.timeout, 2147483);
});

Deno.test("a negative --timeout written as two words is refused like any bad value", () => {
  // node's parseArgs alone calls `--timeout -1` "ambiguous".
  const negative = usageError(["--timeout", "-1", "status"]);
  assert.equal(
    negative.message,
    "invalid --timeout '-1': expected a number of seconds (0 = wait for ever)",
  );
  assert.equal(negative.hint, "Try 'jobctl --help'");
  assert.match(usageError(["-p", "-5", "status"]).message, /^invalid --port '-5'/);
});

Deno.test("an option whose value is missing before another option says so", () => {
  assert.equal(
    usageError(["--timeout", "--json", "status"]).message,
    "--timeout needs a value, got '--json': to give a value that starts with '-', " +
      "write --timeout=--json",
  );
  assert.equal(
    usageError(["jobs", "--target", "-x"]).message,
    "--target needs a value, got '-x': to give a value that starts with '-', write --target=-x",
  );
});

Deno.test("a command's option with a bad value points to that command's help", () => {
  const negative = usageError(["add", "build", "--in", "-5m"]);
  assert.equal(
    negative.message,
    "invalid --in '-5m': expected a duration such as 90s, 5m, 1h30m or 2d",
  );
  assert.equal(negative.hint, "Try 'jobctl add --help'");
  assert.match(usageError(["add", "build", "--count", "-1"]).message, /^invalid --count '-1'/);
  assert.equal(usageError(["add", "build", "--count", "-1"]).hint, "Try 'jobctl add --help'");
  assert.equal(usageError(["jobs", "--limit", "-3"]).hint, "Try 'jobctl jobs --help'");
  assert.equal(usageError(["jobs", "--target", "-x"]).hint, "Try 'jobctl jobs --help'");
  const missing = usageError(["add", "build", "--at"]);
  assert.match(missing.message, /--at <value>' argument missing/);
  assert.equal(missing.hint, "Try 'jobctl add --help'");
  // The program's options, and a command's option on a line whose command
  // does not take it, point to the program's help.
  assert.equal(usageError(["add", "build", "--timeout", "-1"]).hint, "Try 'jobctl --help'");
  assert.equal(usageError(["status", "--in", "-5m"]).hint, "Try 'jobctl --help'");
});

Deno.test("a repeated option's refusal names the occurrence that is wrong", () => {
  assert.equal(
    usageError(["--timeout", "5", "--timeout", "-1", "status"]).message,
    "invalid --timeout '-1': expected a number of seconds (0 = wait for ever)",
  );
  assert.equal(
    usageError(["--timeout", "5", "--timeout", "--json", "status"]).message,
    "--timeout needs a value, got '--json': to give a value that starts with '-', " +
      "write --timeout=--json",
  );
  assert.equal(
    usageError(["jobs", "--target", "a", "--target", "-x"]).message,
    "--target needs a value, got '-x': to give a value that starts with '-', write --target=-x",
  );
});

Deno.test("--timeout 0 means waiting for ever", () => {
  const line = parseCommandLine(["--timeout", "0", "status"]);
  assert.equal(line.action === "run" && line.options.timeout, 0);
});

Deno.test("--host may carry the port: host:port, [v6]:port; a bare v6 address has none", () => {
  const options = (args: string[]) => {
    const line = parseCommandLine([...args, "status"]);
    assert.equal(line.action, "run");
    return line.action === "run" ? [line.options.host, line.options.port] : [];
  };
  assert.deepEqual(options(["--host", "10.0.0.5:7090"]), ["10.0.0.5", 7090]);
  assert.deepEqual(options(["--host", "[::1]:7090"]), ["::1", 7090]);
  assert.deepEqual(options(["--host", "::1"]), ["::1", undefined]);
  assert.deepEqual(options(["--host", "[::1]"]), ["::1", undefined]);
  assert.deepEqual(options(["--host", "jobs.example:7090", "--port", "7090"]), [
    "jobs.example",
    7090,
  ]);
  assert.match(usageError(["--host", "h:99999", "status"]).message, /^invalid --host 'h:99999'/);
  assert.match(
    usageError(["--host", "h:7090", "--port", "7091", "status"]).message,
    /name different ports/,
  );
});

Deno.test("an unknown option suggests the closest one", () => {
  assert.equal(
    usageError(["--jsno", "status"]).message,
    "unknown option '--jsno'; did you mean '--json'?",
  );
  assert.equal(usageError(["--frobnicate", "status"]).message, "unknown option '--frobnicate'");
});

Deno.test("an unknown option suggests only options the line's command takes", () => {
  // `add` takes --at, --in, --set, --count: --result would be refused next.
  const add = usageError(["add", "x", "--resutl", "ok"]);
  assert.equal(add.message, "unknown option '--resutl'");
  assert.equal(add.hint, "Try 'jobctl add --help'");
  assert.equal(
    usageError(["jobs", "--resutl", "ok"]).message,
    "unknown option '--resutl'; did you mean '--result'?",
  );
  // The unknown option's value may come before the command.
  assert.equal(
    usageError(["--resutl", "ok", "jobs"]).message,
    "unknown option '--resutl'; did you mean '--result'?",
  );
  // The program's options stay candidates with any command.
  assert.equal(
    usageError(["add", "x", "--jsno"]).message,
    "unknown option '--jsno'; did you mean '--json'?",
  );
  // A command without options of its own points to the program's help.
  assert.equal(usageError(["status", "--lmit", "5"]).hint, "Try 'jobctl --help'");
  assert.equal(usageError(["status", "--lmit", "5"]).message, "unknown option '--lmit'");
  // Without a known command, every command's options are candidates.
  assert.equal(
    usageError(["--lmit", "5"]).message,
    "unknown option '--lmit'; did you mean '--limit'?",
  );
});

Deno.test("the commands' own options are read anywhere on the line; --set repeats", () => {
  const line = parseCommandLine([
    "add",
    "build",
    "--set",
    "a=1",
    "--in",
    "5m",
    "--set",
    "b=2",
    "--count",
    "3",
  ]);
  assert.equal(line.action, "run");
  if (line.action !== "run") return;
  assert.deepEqual(line.args, ["build"]);
  assert.deepEqual(line.commandOptions, { set: ["a=1", "b=2"], in: "5m", count: "3" });
});

Deno.test("an option given twice with different values is refused, naming both", () => {
  // The last one used to win silently: `--count 2 --count 3` inserted 3 rows.
  const limit = usageError(["jobs", "--limit", "5", "--limit", "10"]);
  assert.equal(limit.message, "--limit is given twice, with '5' and '10': give it once");
  assert.equal(limit.hint, "Try 'jobctl jobs --help'");
  assert.equal(
    usageError(["jobs", "--target", "a", "--target", "b", "--target=c"]).message,
    "--target is given 3 times, with 'a', 'b' and 'c': give it once",
  );
  const port = usageError(["-p", "7080", "--port", "7090", "status"]);
  assert.equal(port.message, "--port is given twice, with '7080' and '7090': give it once");
  assert.equal(port.hint, "Try 'jobctl --help'");
  assert.equal(
    usageError(["--master", "--no-master", "status"]).message,
    "--master and --no-master contradict each other: give one of them",
  );
  // The same value twice says the same thing; --set repeats by design.
  const same = parseCommandLine([
    "-p",
    "7080",
    "--port",
    "7080",
    "jobs",
    "--limit=5",
    "--limit",
    "5",
  ]);
  assert.ok(same.action === "run" && same.options.port === 7080);
  assert.ok(same.action === "run" && same.commandOptions.limit === "5");
  const set = parseCommandLine(["add", "build", "--set", "a=1", "--set", "b=2"]);
  assert.deepEqual(set.action === "run" && set.commandOptions.set, ["a=1", "b=2"]);
});

Deno.test("a negative number among the arguments is refused as such, not as an unknown option", () => {
  const id = usageError(["show", "-5"]);
  assert.equal(
    id.message,
    "invalid argument '-5': expected a positive number (ids, counts and signal numbers are " +
      "written without '-')",
  );
  assert.equal(id.hint, "Try 'jobctl show --help'");
  // node's parseArgs names only `-1` of `-12`: the whole word is quoted.
  assert.match(usageError(["retry", "3", "-12"]).message, /^invalid argument '-12': /);
  assert.match(usageError(["send-signal", "3", "-9"]).message, /^invalid argument '-9': /);
  assert.equal(usageError(["send-signal", "3", "-9"]).hint, "Try 'jobctl send-signal --help'");
  // A short option that does not exist is still one.
  assert.match(usageError(["status", "-x"]).message, /^unknown option '-x'/);
});
