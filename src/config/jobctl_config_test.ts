import assert from "node:assert/strict";
import { ConfigError } from "./ini_file.ts";
import { defaultJobctlConfigPath, loadJobctlConfig, parseJobctlConfig } from "./jobctl_config.ts";

const FILE = "/home/u/.jobctl.conf";

Deno.test("every jobctl key is optional", () => {
  const { config, warnings } = parseJobctlConfig("", FILE);
  assert.deepStrictEqual(config, {
    master: undefined,
    host: undefined,
    port: undefined,
    password: undefined,
    logLevel: undefined,
  });
  assert.deepEqual(warnings, []);
});

Deno.test("every jobctl key is read", () => {
  const { config } = parseJobctlConfig(
    "master = true\nhost = 10.0.0.5\nport = 7081\npassword = pw\nlog_level = debug\n",
    FILE,
  );
  assert.deepStrictEqual(config, {
    master: true,
    host: "10.0.0.5",
    port: 7081,
    password: "pw",
    logLevel: "debug",
  });
  assert.equal(parseJobctlConfig("master = 0\n", FILE).config.master, false);
});

Deno.test("invalid jobctl values name the key and the file", () => {
  const cases: [string, string][] = [
    ["master = maybe", "'master' must be a boolean (1, 0, true or false), got 'maybe'"],
    ["port = 0", "'port' must be a port number from 1 to 65535, got '0'"],
    [
      "log_level = loud",
      "'log_level' must be one of 'trace', 'debug', 'info', 'warn', 'error', got 'loud'",
    ],
  ];
  for (const [line, message] of cases) {
    assert.throws(() => parseJobctlConfig(`${line}\n`, FILE), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${FILE}: ${message}`);
      return true;
    });
  }
});

Deno.test("unknown jobctl keys are warnings", () => {
  const { warnings } = parseJobctlConfig("hots = x\n", FILE);
  assert.deepEqual(warnings, [`${FILE}: unknown key 'hots' is ignored`]);
});

Deno.test("the default jobctl config is ~/.jobctl.conf", () => {
  assert.equal(defaultJobctlConfigPath("/home/u"), "/home/u/.jobctl.conf");
  assert.equal(defaultJobctlConfigPath("/home/u/"), "/home/u/.jobctl.conf");
  assert.equal(defaultJobctlConfigPath(""), undefined);
  assert.equal(defaultJobctlConfigPath(), `${Deno.env.get("HOME")}/.jobctl.conf`);
});

Deno.test("an explicit jobctl config must exist; the default one need not", async () => {
  const home = await Deno.makeTempDir();
  try {
    assert.deepEqual(await loadJobctlConfig({ home }), { config: {}, warnings: [] });

    await assert.rejects(
      loadJobctlConfig({ path: `${home}/other.conf`, home }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, `${home}/other.conf: file not found`);
        return true;
      },
    );

    await Deno.writeTextFile(`${home}/.jobctl.conf`, "master = 1\n");
    assert.equal((await loadJobctlConfig({ home })).config.master, true);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a default jobctl config that exists but cannot be read is an error", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${home}/.jobctl.conf`);
    await assert.rejects(loadJobctlConfig({ home }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /\.jobctl\.conf: cannot read the file: /);
      return true;
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
