import assert from "node:assert/strict";
import { configChanges } from "./config_changes.ts";
import {
  booleanType,
  ConfigError,
  integerType,
  loadIni,
  MAX_CONFIG_FILE_BYTES,
  numberType,
  oneOfType,
  parseIni,
  portType,
  readConfigFile,
  stringType,
} from "./ini_file.ts";

/** How a number must be written, as errors say. */
const DECIMAL = "in decimal digits with an optional point (such as 30 or 0.5; no exponent)";

/** How a whole number must be written, as errors say. */
const INTEGER = "in decimal digits only (such as 100; no point or exponent)";

const FILE = "/etc/test.conf";

/** The global keys of `text`, ready to read. */
function global(text: string) {
  return parseIni(text, FILE).global;
}

/** Asserts that `read` throws a ConfigError with exactly `message`, and returns it. */
function assertConfigError(read: () => unknown, message: string): ConfigError {
  let caught: unknown;
  try {
    read();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught}`);
  assert.equal(caught.message, message);
  return caught;
}

Deno.test("keys before any section are global, and a section holds the keys after it", () => {
  const doc = parseIni("a = 1\n[targets]\nb = 2\n", FILE);
  assert.equal(doc.global.required("a", stringType()), "1");
  assert.equal(doc.global.optional("b", stringType()), undefined);
  assert.equal(doc.section("targets")?.required("b", stringType()), "2");
  assert.equal(doc.section("missing"), undefined);
});

Deno.test("dotted keys stay literal keys of their section", () => {
  const ini = global("launcher.env.FOO = bar baz\nlauncher.cwd = /tmp\n");
  assert.deepEqual(ini.keys(), ["launcher.env.FOO", "launcher.cwd"]);
  assert.equal(ini.required("launcher.env.FOO", stringType()), "bar baz");
});

Deno.test("a missing required key is reported by name and file", () => {
  const error = assertConfigError(
    () => global("").required("mysql_host", stringType()),
    "/etc/test.conf: 'mysql_host' is not defined",
  );
  assert.equal(error.file, FILE);
  assert.equal(error.key, "mysql_host");
});

Deno.test("a key in a section is named with its section", () => {
  const section = parseIni("[targets]\nfoo = 0\n", FILE).section("targets")!;
  assertConfigError(
    () => section.required("foo", integerType({ min: 1 })),
    `/etc/test.conf: 'foo' in [targets] must be an integer >= 1, ${INTEGER}, got '0'`,
  );
});

Deno.test("optional keys: absent or empty gives undefined, or the default", () => {
  const ini = global("log_file =\nlimit =\n");
  assert.equal(ini.optional("log_file", stringType()), undefined);
  assert.equal(ini.optional("nothing", stringType()), undefined);
  assert.equal(ini.withDefault("limit", integerType({ min: 1 }), 100), 100);
  assert.equal(ini.withDefault("nothing", integerType({ min: 1 }), 100), 100);
});

Deno.test("strings: empty only where allowed; values ini turned into JSON read back as text", () => {
  const ini = global("empty =\nt = true\nn = null\nq = '5'\npw = a\\;b ; comment\n");
  assert.equal(ini.required("empty", stringType({ allowEmpty: true })), "");
  assertConfigError(
    () => ini.required("empty", stringType()),
    "/etc/test.conf: 'empty' must be a non-empty string, got ''",
  );
  assert.equal(ini.required("t", stringType()), "true");
  assert.equal(ini.required("n", stringType()), "null");
  assert.equal(ini.required("q", stringType()), "5");
  assert.equal(ini.required("pw", stringType()), "a;b");
});

Deno.test("a list or a section where a value belongs is refused", () => {
  const doc = parseIni("x[] = 1\nx[] = 2\n[launcher]\nY = 1\n", FILE);
  assertConfigError(
    () => doc.global.required("x", stringType()),
    "/etc/test.conf: 'x' must be a non-empty string, got a list ('key[] =' lines)",
  );
  assertConfigError(
    () => doc.global.required("launcher", stringType()),
    "/etc/test.conf: 'launcher' must be a non-empty string, got a section",
  );
});

Deno.test("integers: decimal digits within the bounds", () => {
  const ini = global("a = 42\nb = -3\nc = '7'\nd = 1.5\ne = 0x10\nf = 12abc\ng = 0\nh = 11\n");
  assert.equal(ini.required("a", integerType()), 42);
  assert.equal(ini.required("b", integerType()), -3);
  assert.equal(ini.required("c", integerType()), 7);
  const limit = integerType({ min: 1 });
  assertConfigError(
    () => ini.required("d", limit),
    `/etc/test.conf: 'd' must be an integer >= 1, ${INTEGER}, got '1.5'`,
  );
  assertConfigError(
    () => ini.required("e", limit),
    `/etc/test.conf: 'e' must be an integer >= 1, ${INTEGER}, got '0x10'`,
  );
  assertConfigError(
    () => ini.required("f", limit),
    `/etc/test.conf: 'f' must be an integer >= 1, ${INTEGER}, got '12abc'`,
  );
  assertConfigError(
    () => ini.required("g", limit),
    `/etc/test.conf: 'g' must be an integer >= 1, ${INTEGER}, got '0'`,
  );
  assertConfigError(
    () => ini.required("h", integerType({ min: 1, max: 10 })),
    `/etc/test.conf: 'h' must be an integer from 1 to 10, ${INTEGER}, got '11'`,
  );
  assertConfigError(
    () => ini.required("a", integerType({ max: 10 })),
    `/etc/test.conf: 'a' must be an integer <= 10, ${INTEGER}, got '42'`,
  );
});

Deno.test("ports: 1 to 65535", () => {
  const ini = global("a = 1\nb = 65535\nc = 0\nd = 65536\ne = http\n");
  assert.equal(ini.required("a", portType), 1);
  assert.equal(ini.required("b", portType), 65535);
  for (const [key, value] of [["c", "0"], ["d", "65536"], ["e", "http"]]) {
    assertConfigError(
      () => ini.required(key, portType),
      `/etc/test.conf: '${key}' must be a port number from 1 to 65535, got '${value}'`,
    );
  }
});

Deno.test("numbers: fractional seconds, above or from the minimum", () => {
  const ini = global("a = 0.5\nb = .25\nc = 30\nzero = 0\nneg = -1\nword = soon\nexp = 1e3\n");
  const positive = numberType({ min: 0 });
  const nonNegative = numberType({ min: 0, allowMin: true });
  assert.equal(ini.required("a", positive), 0.5);
  assert.equal(ini.required("b", positive), 0.25);
  assert.equal(ini.required("c", positive), 30);
  assert.equal(ini.required("zero", nonNegative), 0);
  assertConfigError(
    () => ini.required("zero", positive),
    `/etc/test.conf: 'zero' must be a number > 0, ${DECIMAL}, got '0'`,
  );
  assertConfigError(
    () => ini.required("neg", nonNegative),
    `/etc/test.conf: 'neg' must be a number >= 0, ${DECIMAL}, got '-1'`,
  );
  assertConfigError(
    () => ini.required("word", positive),
    `/etc/test.conf: 'word' must be a number > 0, ${DECIMAL}, got 'soon'`,
  );
  assertConfigError(
    () => ini.required("exp", positive),
    `/etc/test.conf: 'exp' must be a number > 0, ${DECIMAL}, got '1e3': write it as 1000`,
  );
});

Deno.test("a number in quotes follows the rules of a number written without them", () => {
  const ini = global(
    "a = '1e3'\nb = \"1e3\"\nc = '5'\nd = \"0.5\"\ne = '1E3'\nf = '-0'\npw = '0.10'\nlist = '[1]'\n",
  );
  const positive = numberType({ min: 0 });
  for (const key of ["a", "b"]) {
    assertConfigError(
      () => ini.required(key, positive),
      `/etc/test.conf: '${key}' must be a number > 0, ${DECIMAL}, got '1e3': write it as 1000`,
    );
  }
  assertConfigError(
    () => ini.required("e", integerType()),
    `/etc/test.conf: 'e' must be an integer, ${INTEGER}, got '1E3': write it as 1000`,
  );
  assert.equal(ini.required("c", integerType()), 5);
  assert.equal(ini.required("d", positive), 0.5);
  assert.equal(ini.required("f", stringType()), "-0");
  // A value in single quotes is its text as written, not what JSON makes of it.
  assert.equal(ini.required("pw", stringType()), "0.10");
  assert.equal(ini.required("list", stringType()), "[1]");
});

Deno.test("a key's last line decides whether its single quotes are read as written", () => {
  const ini = global("a = '1e3'\na = 7\nb = 7\nb = '0.50'\n");
  assert.equal(ini.required("a", integerType()), 7);
  assert.equal(ini.required("b", stringType()), "0.50");
});

Deno.test("booleans: 1, 0, true, false in any case", () => {
  const ini = global("a = 1\nb = 0\nc = true\nd = false\ne = TRUE\nf = False\ng = yes\nh\n");
  assert.equal(ini.required("a", booleanType), true);
  assert.equal(ini.required("b", booleanType), false);
  assert.equal(ini.required("c", booleanType), true);
  assert.equal(ini.required("d", booleanType), false);
  assert.equal(ini.required("e", booleanType), true);
  assert.equal(ini.required("f", booleanType), false);
  // A key without "=" is how ini spells true.
  assert.equal(ini.required("h", booleanType), true);
  assertConfigError(
    () => ini.required("g", booleanType),
    "/etc/test.conf: 'g' must be a boolean (1, 0, true or false), got 'yes'",
  );
});

Deno.test("enums: one of the listed words, exactly", () => {
  const ini = global("a = sqlite\nb = SQLite\n");
  const storage = oneOfType(["mysql", "sqlite"]);
  assert.equal(ini.required("a", storage), "sqlite");
  assertConfigError(
    () => ini.required("b", storage),
    "/etc/test.conf: 'b' must be one of 'mysql', 'sqlite', got 'SQLite'",
  );
});

Deno.test("warnings list the keys and sections nobody read, and explicit warnings", () => {
  const doc = parseIni("known = 1\ntypo = 2\n[targets]\na = 1\nb = 2\n[extra]\nx = 1\n", FILE);
  doc.global.required("known", stringType());
  doc.section("targets")!.required("a", integerType());
  doc.global.warn("known", "is deprecated");
  assert.deepEqual(doc.warnings(), [
    "/etc/test.conf: 'known' is deprecated",
    "/etc/test.conf: unknown key 'typo' is ignored",
    "/etc/test.conf: unknown key 'b' in [targets] is ignored",
    "/etc/test.conf: unknown section [extra] is ignored",
  ]);
});

Deno.test("a word without a value nobody reads is named by its line, never its text", () => {
  const text = "port = 1\nhunter2\nc2VjcmV0==\nflag\n[targets]\nb = 1\ntop-secret=\n";
  const doc = parseIni(text, FILE);
  doc.global.required("port", stringType());
  assert.equal(doc.global.required("flag", booleanType), true, "a known key alone is still true");
  doc.section("targets")!.required("b", integerType());
  const why = "it is a word without a value, not a setting ('key = value'); its text is not " +
    "shown, as it may be a secret";
  assert.deepEqual(doc.warnings(), [
    `/etc/test.conf: line 2 is ignored: ${why}`,
    `/etc/test.conf: line 3 is ignored: ${why}`,
    `/etc/test.conf: line 7 in [targets] is ignored: ${why}`,
  ]);
  assert.equal(doc.global.label("hunter2"), "line 2");
  assert.equal(doc.global.label("port"), "'port'");
  assert.equal(doc.global.label("flag"), "'flag'", "read: a key of ours, shown");
});

Deno.test("the settings a reload compares name a word without a value by its line", () => {
  const doc = parseIni("port = 1\nflag\nhunter2\n[extra]\nsecret-word\n", FILE);
  doc.global.required("port", stringType());
  doc.global.required("flag", booleanType);
  assert.deepEqual([...doc.entries().keys()], ["port", "flag", "line 3", "[extra] line 5"]);
  assert.doesNotMatch(configChanges(new Map(), doc.entries()).join("\n"), /hunter2|secret-word/);
});

Deno.test("a word given twice without a value is warned about by its lines only", () => {
  const doc = parseIni("hunter2\nhunter2\n", FILE);
  assert.deepEqual(doc.warnings(), [
    "/etc/test.conf: lines 1 and 2 give the same word without a value (not shown: it may be a secret)",
    "/etc/test.conf: line 2 is ignored: it is a word without a value, not a setting " +
    "('key = value'); its text is not shown, as it may be a secret",
  ]);
});

Deno.test("a missing file is a config error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(readConfigFile(`${dir}/nothing.conf`), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${dir}/nothing.conf: file not found`);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config file over 1 MiB is a config error naming the file and the limit", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/big.conf`;
  try {
    const line = "; a comment line of some length, repeated to the limit\n";
    const full = line.repeat(Math.ceil(MAX_CONFIG_FILE_BYTES / line.length)).slice(
      0,
      MAX_CONFIG_FILE_BYTES - 1,
    ) + "\n";
    await Deno.writeTextFile(path, full);
    assert.equal((await readConfigFile(path)).length, MAX_CONFIG_FILE_BYTES);
    await Deno.writeTextFile(path, "x", { append: true });
    await assert.rejects(readConfigFile(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${path}: the file is larger than 1 MiB, the most it may have`);
      return true;
    });
    // A caller may allow more (the job board: 16 MiB).
    assert.equal(
      (await readConfigFile(path, 2 * MAX_CONFIG_FILE_BYTES)).length,
      MAX_CONFIG_FILE_BYTES + 1,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config file is read as UTF-8, whatever the chunks it is read in", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/utf8.conf`;
  try {
    // Multi-byte characters across the 64 KiB read chunks.
    const text = `name = ${"é😀".repeat(30_000)}\n`;
    await Deno.writeTextFile(path, text);
    assert.equal(await readConfigFile(path), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a directory is not a readable config file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadIni(dir), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`^${dir}: cannot read the file: `));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadIni reads and parses a file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".conf" });
  try {
    await Deno.writeTextFile(path, "port = 7080\n");
    const doc = await loadIni(path);
    assert.equal(doc.file, path);
    assert.equal(doc.global.required("port", portType), 7080);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a section named with dots keeps its name, as written, escaped or quoted", () => {
  const doc = parseIni(
    "[a.b]\nx = 1\n[c\\.d]\ny = 2\n[e]\nz = 3\n[\"f.g\"]\nv = 4\n['h.i']\nw = 5\n",
    "f.ini",
  );
  assert.deepEqual(doc.sectionNames(), ["a.b", "c.d", "e", "f.g", "h.i"]);
  assert.equal(doc.entries().get("[a.b] x"), "1");
  assert.equal(doc.entries().get("[f.g] v"), "4");
});

Deno.test("a section named like a key plus a dot leaves the key alone", () => {
  const doc = parseIni("launcher = /bin/run {id}\n[launcher.env]\nA = 1\n", "f.ini");
  assert.equal(doc.global.required("launcher", stringType()), "/bin/run {id}");
  assert.deepEqual(doc.warnings(), ["f.ini: unknown section [launcher.env] is ignored"]);
});

Deno.test("a hint for a section makes its unknown-section warning say how to write it, naming its line", () => {
  const doc = parseIni("a = 1\n[b.c]\nx = 1\n[d]\ny = 2\n", "f.ini");
  doc.hintUnknownSection("b.c", "write 'b.c.x = 1' before the first section", 2);
  doc.hintUnknownSection("never", "not in the file");
  doc.global.optional("a", stringType());
  assert.deepEqual(doc.warnings(), [
    "f.ini: unknown section [b.c] (line 2) is ignored: write 'b.c.x = 1' before the first section",
    "f.ini: unknown section [d] is ignored",
  ]);
});
