/**
 * The storage conformance suite, `markDone`: the final row write; with `markRunning`, a write
 * repeated after a lost reply counts its own rows as written and no other worker's.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, finished } from "./fixture.ts";

/** Registers the `markDone` tests. */
export function markDoneConformance(test: ConformanceTest): void {
  test("markDone writes the end of each running job", {}, async (f) => {
    const ids = await f.insert("build", 3);
    await f.store.claimWaiting(new Map([["build", 3]]));
    await f.store.markRunning(ids, 1_700_000_000);

    const notRunning = await f.store.markDone([
      finished(ids[0], { stdout: "built\n", stderr: "warning: héllo ✓ 日本\n" }),
      finished(ids[1], { result: "fail", code: 2, stderr: "boom" }),
      finished(ids[2], { result: "fail", code: null, signal: "SIGTERM" }),
    ]);

    assert.deepEqual(notRunning, []);
    const rows = await f.rows(ids);
    const ends = rows.map((
      { status, time_finished, result, return_code, sig, stdout, stderr },
    ) => ({
      status,
      time_finished,
      result,
      return_code,
      sig,
      stdout,
      stderr,
    }));
    assert.deepEqual(ends, [
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "ok",
        return_code: 0,
        sig: null,
        stdout: "built\n",
        stderr: "warning: héllo ✓ 日本\n",
      },
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "fail",
        return_code: 2,
        sig: null,
        stdout: "",
        stderr: "boom",
      },
      {
        status: "done",
        time_finished: 1_700_000_100,
        result: "fail",
        return_code: null,
        sig: "SIGTERM",
        stdout: "",
        stderr: "",
      },
    ]);
  });

  test("markDone reports rows that are not running and leaves them", {}, async (f) => {
    const [running, accepted] = await f.insert("build", 2);
    const [done] = await f.insert("build", 1, "done");
    await f.store.claimWaiting(new Map([["build", 2]]));
    await f.store.markRunning([running], 1_700_000_000);
    const before = await f.rows([accepted, done]);

    const notRunning = await f.store.markDone([
      finished(accepted),
      finished(running),
      finished(done),
    ]);

    assert.deepEqual(notRunning, [accepted, done]);
    assert.equal((await f.rows([running]))[0].status, "done");
    assert.deepEqual(await f.rows([accepted, done]), before);
    assert.deepEqual(await f.store.markDone([]), []);
  });

  for (const withWorkerColumn of [false, true]) {
    test(
      "markRunning and markDone repeated after a lost reply count their rows as written " +
        `(${withWorkerColumn ? "with" : "without"} the worker column)`,
      { withWorkerColumn },
      async (f) => {
        const ids = await f.insert("build", 2);
        await f.store.claimWaiting(new Map([["build", 2]]));
        await f.store.markRunning(ids, 1_700_000_000);
        assert.deepEqual(await f.store.markRunning(ids, 1_700_000_000), [], "same call again");
        assert.deepEqual(await f.store.markRunning(ids, 1_700_000_001), ids, "another call");

        const ends = [finished(ids[0]), finished(ids[1], { result: "fail", code: null })];
        assert.deepEqual(await f.store.markDone(ends), []);
        assert.deepEqual(await f.store.markDone(ends), [], "same call again");
        assert.deepEqual(
          await f.store.markDone([
            finished(ids[0], { code: 1 }),
            finished(ids[1], { signal: "SIGKILL" }),
          ]),
          ids,
          "another end",
        );
      },
    );
  }

  test(
    "rows another worker marked with the same values are not counted as this worker's",
    { withWorkerColumn: true },
    async (f) => {
      const ids = await f.insert("build", 2);
      const peer = await f.openPeer("worker-b");
      await peer.claimWaiting(new Map([["build", 2]]));
      await peer.markRunning(ids, 1_700_000_000);
      assert.deepEqual(await f.store.markRunning(ids, 1_700_000_000), ids);
      const ends = ids.map((id) => finished(id));
      await peer.markDone(ends);
      assert.deepEqual(await f.store.markDone(ends), ids);
    },
  );
}
