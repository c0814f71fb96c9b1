import assert from "node:assert/strict";
import { templateArgv } from "./daemons.ts";

Deno.test("a command template is split like a shell would, placeholders replaced in each word", () => {
  assert.deepEqual(
    templateArgv("node '/opt/old jobd/server.js' --config={config} x{id}", {
      config: "/tmp/a b.conf",
      id: "7",
    }),
    ["node", "/opt/old jobd/server.js", "--config=/tmp/a b.conf", "x7"],
  );
});

Deno.test("unknown placeholders are left as they are", () => {
  assert.deepEqual(templateArgv("run {other}", { config: "c" }), ["run", "{other}"]);
});

Deno.test("shell operators and empty commands are refused", () => {
  assert.throws(() => templateArgv("a && b {config}", {}), /shell operators are not supported/);
  assert.throws(() => templateArgv(" ", {}), /Cannot run ' ': the command is empty/);
});
