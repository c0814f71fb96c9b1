import assert from "node:assert/strict";
import type { LaunchedJob, LauncherSettings } from "./launcher.ts";
import { startJob } from "./start_retry.ts";
import { fewFiles, withFewFiles } from "../../tests/helpers/few_files.ts";

const settings = (argv: string[]): LauncherSettings => ({ argv, env: {}, maxOutputBytes: 1024 });

Deno.test("a launcher that fails to start for good is tried once and ends as fail", async () => {
  const attempts: LaunchedJob[] = [];
  const launched = await startJob(1, {
    settings: () => settings(["/nonexistent/launcher"]),
    sleep: () => assert.fail("no retry expected"),
    givenUp: () => false,
    attempted: (job) => attempts.push(job),
  });
  assert.equal(attempts.length, 1);
  assert.equal(launched, attempts[0]);
  const outcome = await launched?.done;
  assert.equal(outcome?.result, "fail");
  assert.match(outcome?.stderr ?? "", /does not exist/);
});

Deno.test({
  name: "a launcher that cannot start for lack of file descriptors is started again later",
  ...fewFiles,
  async fn() {
    const delays: number[] = [];
    const launched = await withFewFiles((restore) =>
      startJob(2, {
        settings: () => settings(["/bin/sh", "-c", "echo started $1", "sh", "{id}"]),
        sleep: async (ms) => {
          delays.push(ms);
          if (delays.length === 2) await restore();
        },
        givenUp: () => false,
        steps: { firstMs: 10, maxMs: 100 },
      })
    );
    assert.equal(delays.length, 2, "two failed attempts, then a start");
    assert.ok(delays[1] > delays[0], "the delays grow");
    assert.deepEqual(await launched?.done, {
      result: "ok",
      code: 0,
      signal: null,
      stdout: "started 2\n",
      stderr: "",
    });
  },
});

Deno.test({
  name: "a start waiting to be tried again is given up when the worker stops",
  ...fewFiles,
  async fn() {
    let stopping = false;
    const attempts: LaunchedJob[] = [];
    const launched = await withFewFiles(() =>
      startJob(3, {
        settings: () => settings(["/bin/true"]),
        sleep: () => {
          stopping = true;
          return Promise.resolve();
        },
        givenUp: () => stopping,
        attempted: (job) => attempts.push(job),
      })
    );
    assert.equal(launched, undefined);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].retryable, true);
    assert.match((await attempts[0].done).stderr, /Too many open files/);
  },
});
