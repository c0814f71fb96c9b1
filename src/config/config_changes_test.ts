import assert from "node:assert/strict";
import { configChanges, describeChanges, entryChanges } from "./config_changes.ts";
import { parseIni } from "./ini_file.ts";

/** The settings of a config file's text, as the loaders hand them over. */
function configEntries(text: string) {
  return parseIni(text, "jobd.conf").entries();
}

const before = configEntries(`
host = 127.0.0.1
port = 7080
password = old-secret
mysql_password = db-secret
poll_interval = 0
log_file = /var/log/jobd.log

[targets]
build = 2
mail = 1

[target:build]
timeout = 60
`);

Deno.test("the same file again: nothing changed", () => {
  assert.deepEqual(configChanges(before, before), []);
  assert.equal(describeChanges([]), "nothing changed");
});

Deno.test("keys added, removed and changed; targets added, removed and resized", () => {
  const after = configEntries(`
host = 127.0.0.1
port = 7080
password = old-secret
mysql_password = db-secret
poll_interval = 5
log_format = json

[targets]
build = 4
thumbs = 3

[target:build]
timeout = 90
`);
  assert.deepEqual(configChanges(before, after), [
    "poll_interval changed: 0 -> 5",
    "log_format added: json",
    "target build: concurrency 2 -> 4",
    "target thumbs added (concurrency 3)",
    "[target:build] timeout changed: 60 -> 90",
    "log_file removed",
    "target mail removed",
  ]);
});

Deno.test("a target's change the daemon refused is said in the daemon's words instead", () => {
  const after = configEntries(`
[targets]
build = 2
`);
  const refused = new Map([["mail", "target mail: removal refused (1 job queued or running)"]]);
  const changes = configChanges(before, after, refused);
  assert.ok(changes.includes("target mail: removal refused (1 job queued or running)"));
  assert.ok(!changes.includes("target mail removed"));
});

Deno.test("a password's change is named, never its value", () => {
  const after = new Map(before);
  after.set("password", "new-secret");
  after.set("mysql_password", "new-db-secret");
  const changes = configChanges(before, after);
  assert.deepEqual(changes, ["password changed", "mysql_password changed"]);
  assert.doesNotMatch(describeChanges(changes), /secret/);
});

Deno.test("the line counts the changes", () => {
  assert.equal(describeChanges(["a", "b"]), "2 changes: a; b");
  assert.equal(describeChanges(["a"]), "1 change: a");
});

Deno.test("entryChanges: values added, changed and removed, in the new order, removals last", () => {
  const before = new Map([["build", 2], ["mail", 1], ["thumbs", 1]]);
  const after = new Map([["thumbs", 1], ["extra", 3], ["build", 4]]);
  assert.deepEqual(entryChanges(before, after), [
    { name: "extra", after: 3 },
    { name: "build", before: 2, after: 4 },
    { name: "mail", before: 1 },
  ]);
  assert.deepEqual(entryChanges(after, after), []);
});
