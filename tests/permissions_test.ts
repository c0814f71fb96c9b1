/** The deno.json tasks that run the programs use exactly the flags of scripts/permissions.ts. */

import assert from "node:assert/strict";
import manifest from "../deno.json" with { type: "json" };
import { ENTRY_POINTS, type Program, runFlags } from "../scripts/permissions.ts";

const TASKS: Record<string, Program> = {
  "dev:worker": "jobd",
  "dev:master": "jobd-master",
  "jobctl": "jobctl",
};

for (const [task, program] of Object.entries(TASKS)) {
  Deno.test(`deno task ${task} runs ${program} with the binary's permission flags`, () => {
    const tasks: Record<string, string> = manifest.tasks;
    assert.equal(tasks[task], ["deno run", ...runFlags(program), ENTRY_POINTS[program]].join(" "));
  });
}
