import assert from "node:assert/strict";
import { CommandTemplateError, expandCommand, parseCommandTemplate } from "./command_template.ts";

Deno.test("a plain template splits on whitespace", () => {
  assert.deepEqual(parseCommandTemplate("/usr/bin/php  /srv/app/run-job.php\t{id}"), [
    "/usr/bin/php",
    "/srv/app/run-job.php",
    "{id}",
  ]);
});

Deno.test("single quotes, double quotes and backslashes group words as in a shell", () => {
  assert.deepEqual(
    parseCommandTemplate(`run 'two words' "three more words" four\\ five 'a'"b"c`),
    ["run", "two words", "three more words", "four five", "abc"],
  );
});

Deno.test("quotes and backslashes can carry the other quote and special characters", () => {
  assert.deepEqual(
    parseCommandTemplate(`run "it's" 'say "hi"' "back\\\\slash \\"q\\"" don\\'t '' ""`),
    ["run", "it's", 'say "hi"', 'back\\slash "q"', "don't", "", ""],
  );
});

Deno.test("shell characters inside quotes or escaped are plain argument text", () => {
  assert.deepEqual(
    parseCommandTemplate(`run '|' "a > b; c && d" '*.sh' "#1" \\* \\? \\# \\| \\;`),
    ["run", "|", "a > b; c && d", "*.sh", "#1", "*", "?", "#", "|", ";"],
  );
});

Deno.test("$NAME is never expanded, quoted or not", () => {
  assert.deepEqual(
    parseCommandTemplate(`run $HOME "$HOME/x" '$HOME' \${HOME} "\${HOME}" \\$HOME "\\$HOME" $ "$"`),
    ["run", "$HOME", "$HOME/x", "$HOME", "${HOME}", "${HOME}", "$HOME", "$HOME", "$", "$"],
  );
});

Deno.test("$'...' and $$ stay literal as well", () => {
  assert.deepEqual(parseCommandTemplate(`run $'a\\nb' $$ $1`), ["run", "$a\\nb", "$$", "$1"]);
});

Deno.test("braces other than {id} and other shell-only syntax are left as written", () => {
  assert.deepEqual(parseCommandTemplate("run {a,b} ~ [x] `date`"), [
    "run",
    "{a,b}",
    "~",
    "[x]",
    "`date`",
  ]);
});

function refusal(template: string): CommandTemplateError {
  try {
    parseCommandTemplate(template);
  } catch (error) {
    assert.ok(error instanceof CommandTemplateError, `unexpected error ${error}`);
    return error;
  }
  assert.fail(`template ${JSON.stringify(template)} was accepted`);
}

Deno.test("an empty or blank template is refused", () => {
  assert.match(refusal("").message, /^Invalid launcher template '': it is empty$/);
  assert.match(refusal("  \t ").message, /it is empty$/);
});

Deno.test("an empty program name is refused", () => {
  assert.match(refusal(`'' {id}`).message, /the program name is empty$/);
});

Deno.test("shell operators are refused with the operator named", () => {
  for (
    const [template, op] of [
      ["run {id} | tee log", "|"],
      ["run {id} > out.log", ">"],
      ["run {id} 2>&1", ">&"],
      ["run {id}; rm -rf /", ";"],
      ["run {id} && next", "&&"],
      ["run {id} || other", "||"],
      ["run {id} &", "&"],
      ["run < input", "<"],
      ["run $(date)", "("],
    ]
  ) {
    const error = refusal(template);
    assert.equal(error.part, op, template);
    assert.ok(
      error.message.includes(`shell operator '${op}' is not supported`),
      `${template}: ${error.message}`,
    );
    assert.ok(error.message.includes(`'${template}'`), error.message);
  }
});

Deno.test("unquoted globs are refused with the pattern named", () => {
  const error = refusal("run /tmp/*.log");
  assert.equal(error.part, "/tmp/*.log");
  assert.match(error.message, /glob pattern '\/tmp\/\*\.log' is not expanded/);
  assert.equal(refusal("run file?").part, "file?");
});

Deno.test("comments are refused with the comment named", () => {
  const error = refusal("run {id} # nightly");
  assert.equal(error.part, "# nightly");
  assert.match(error.message, /comment '# nightly' is not supported/);
});

Deno.test("unterminated quotes, a trailing backslash and line breaks are refused", () => {
  assert.match(refusal(`run "half open`).message, /unterminated double quote at position 4$/);
  assert.match(refusal(`run 'half open`).message, /unterminated single quote at position 4$/);
  assert.match(refusal(`run "ends in escape\\`).message, /unterminated double quote/);
  assert.match(refusal(`run \\`).message, /it ends with a lone backslash$/);
  assert.match(refusal("run\nrm -rf /").message, /line break at position 3/);
});

Deno.test("{id} is replaced in every argument, quoted ones included", () => {
  const argv = parseCommandTemplate(`php run.php --job={id} "job {id} of {id}" '{id}'`);
  assert.deepEqual(expandCommand(argv, 42), [
    "php",
    "run.php",
    "--job=42",
    "job 42 of 42",
    "42",
  ]);
});

Deno.test("{id} expansion never changes the number of arguments", () => {
  const argv = parseCommandTemplate(`run "{id}"`);
  assert.deepEqual(expandCommand(argv, 7), ["run", "7"]);
  assert.deepEqual(argv, ["run", "{id}"], "the parsed template is reused, not modified");
});

Deno.test("expandCommand refuses ids that are not non-negative integers", () => {
  for (const id of [-1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => expandCommand(["run", "{id}"], id), RangeError);
  }
});
