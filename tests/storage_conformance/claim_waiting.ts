/**
 * The storage conformance suite, `claimWaiting`: which waiting rows a claim takes, and that two
 * stores never take the same one.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { JobStore } from "../../src/storage/job_store.ts";
import { type ConformanceTest, nowSeconds, storageError, WORKER } from "./fixture.ts";

/** Registers the `claimWaiting` tests. */
export function claimWaitingConformance(test: ConformanceTest): void {
  test("claimWaiting takes the lowest waiting ids first, up to the limit", {}, async (f) => {
    const ids = await f.insert("build", 5);
    const claimed = await f.store.claimWaiting(new Map([["build", 3]]));
    assert.deepEqual(
      claimed,
      ids.slice(0, 3).map((id) => ({ id, target: "build", origin: "waiting" })),
    );
    const statuses = (await f.rows(ids)).map((row) => row.status);
    assert.deepEqual(statuses, ["accepted", "accepted", "accepted", "waiting", "waiting"]);
  });

  test("claimWaiting returns what is left, then nothing", {}, async (f) => {
    const ids = await f.insert("build", 4);
    assert.deepEqual(
      (await f.store.claimWaiting(new Map([["build", 3]]))).map((job) => job.id),
      ids.slice(0, 3),
    );
    assert.deepEqual(
      (await f.store.claimWaiting(new Map([["build", 3]]))).map((job) => job.id),
      ids.slice(3),
    );
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 3]])), []);
    assert.deepEqual(await f.store.claimWaiting(new Map([["unknown-target", 3]])), []);
  });

  test("claimWaiting leaves rows of other targets and in other statuses", {}, async (f) => {
    const others = [
      ...await f.insert("deploy", 2),
      ...await f.insert("build", 1, "manual"),
      ...await f.insert("build", 1, "accepted"),
      ...await f.insert("build", 1, "running"),
      ...await f.insert("build", 1, "done"),
      ...await f.insert("build", 1, "ignored"),
    ];
    const before = await f.rows(others);
    const [wanted] = await f.insert("build", 1);
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 10]])), [
      { id: wanted, target: "build", origin: "waiting" },
    ]);
    assert.deepEqual(await f.rows(others), before);
  });

  test("claimWaiting refuses a limit below 1", {}, async (f) => {
    await assert.rejects(f.store.claimWaiting(new Map([["build", 0]])), /limit/);
  });

  test(
    "a refused claim of 1,500 targets names the first ten and counts the others",
    {},
    async (f) => {
      const limits = new Map(Array.from({ length: 1500 }, (_, i) => [`t${i}`, 1]));
      limits.set("bad", 0);
      const error = await storageError(f.store.claimWaiting(limits));
      assert.match(error.message, /of targets 't0', 't1', .*'t9' and 1491 more/);
      assert.doesNotMatch(error.message, /'t10'/);
    },
  );

  test(
    "claimWaiting serves several targets in one call, each up to its own limit",
    {},
    async (f) => {
      const builds = await f.insert("build", 3);
      const deploys = await f.insert("deploy", 2);
      const [check] = await f.insert("check", 1);
      const claimed = await f.store.claimWaiting(
        new Map([["deploy", 1], ["build", 2], ["check", 5]]),
      );
      assert.deepEqual(claimed, [
        { id: deploys[0], target: "deploy", origin: "waiting" },
        { id: builds[0], target: "build", origin: "waiting" },
        { id: builds[1], target: "build", origin: "waiting" },
        { id: check, target: "check", origin: "waiting" },
      ]);
      const statuses = (await f.rows([...builds, ...deploys])).map((row) => row.status);
      assert.deepEqual(statuses, ["accepted", "accepted", "waiting", "accepted", "waiting"]);
      assert.deepEqual(await f.store.claimWaiting(new Map()), []);
    },
  );

  test("two stores claiming one target at once never get the same job", {
    withWorkerColumn: true,
  }, async (f) => {
    const ids = await f.insert("build", 120);
    const peer = await f.openPeer("worker-b");
    const drain = async (store: JobStore) => {
      const taken: number[] = [];
      for (;;) {
        const jobs = await store.claimWaiting(new Map([["build", 7]]));
        if (jobs.length === 0) return taken;
        taken.push(...jobs.map((job) => job.id));
      }
    };

    const [mine, theirs] = await Promise.all([drain(f.store), drain(peer)]);

    const overlap = mine.filter((id) => theirs.includes(id));
    assert.deepEqual(overlap, []);
    assert.deepEqual([...mine, ...theirs].sort((a, b) => a - b), ids);
    const rows = await f.rows(ids);
    assert.ok(rows.every((row) => row.status === "accepted"));
    const owners = new Map(rows.map((row) => [row.id, row.worker]));
    assert.ok(mine.every((id) => owners.get(id) === WORKER));
    assert.ok(theirs.every((id) => owners.get(id) === "worker-b"));
  });

  test("claimWaiting carries each row's timeout, attempts and max_attempts", {
    withTimeColumns: true,
  }, async (f) => {
    const [plain, limited] = await f.insert("build", 2);
    await f.setColumns([limited], { timeout: 30, max_attempts: 4 });
    const claimed = await f.store.claimWaiting(new Map([["build", 5]]));
    assert.deepEqual(claimed.map((job) => [job.id, job.row]), [
      [plain, { timeout: null, attempts: 0, maxAttempts: null }],
      [limited, { timeout: 30, attempts: 0, maxAttempts: 4 }],
    ]);
  });

  test("claimWaiting never takes delayed rows, due or not", {
    withTimeColumns: true,
  }, async (f) => {
    const delayed = await f.insert("build", 2, "delayed");
    await f.setColumns(delayed, { time_run_at: nowSeconds() - 60 });
    assert.deepEqual(await f.store.claimWaiting(new Map([["build", 5]])), []);
    assert.ok((await f.rows(delayed)).every((row) => row.status === "delayed"));
  });
}
