/**
 * `isolateClaimFailures` on a real SQLite store: a target whose claim fails
 * is set aside and retried alone after its own backoff while the others are
 * claimed together; an error of the whole database still fails the claim.
 * (One test injects a lost reply around the in-memory store.)
 */

import assert from "node:assert/strict";
import { isTransientStorageError } from "../src/storage/errors.ts";
import { openSqliteStore } from "../src/storage/sqlite_store.ts";
import { Backoff } from "../src/retry_policy.ts";
import { isolateClaimFailures } from "../src/worker/claim_isolation.ts";
import { waitFor } from "./helpers/processes.ts";
import { openTestSqliteDatabase } from "./helpers/sqlite_database.ts";
import { connectionLost, storeWithAttempts } from "./helpers/memory_store.ts";
import { decorateStore } from "../src/storage/decorate.ts";

const limits = (...targets: string[]) => new Map(targets.map((target) => [target, 5]));

Deno.test("claim isolation: a failing target is set aside, polled again after its backoff, and claimed alone", async () => {
  await using db = await openTestSqliteDatabase();
  const [bad] = await db.insertJobs("bad", 1);
  const good = [...await db.insertJobs("t1", 1), ...await db.insertJobs("t2", 1)];
  await db.query(
    `CREATE TRIGGER refuse_bad BEFORE UPDATE OF status ON jobs FOR EACH ROW
       WHEN NEW.target = 'bad' BEGIN SELECT RAISE(ABORT, 'no claims of bad'); END`,
  );
  const repolled: string[] = [];
  const store = isolateClaimFailures(await openSqliteStore(db.storeOptions("w")), {
    repoll: (target) => repolled.push(target),
    backoff: () => new Backoff({ firstMs: 300, maxMs: 300 }),
  });
  try {
    const first = await store.claimWaiting(limits("bad", "t1", "t2"));
    assert.deepEqual(first.map((job) => job.id), good, "the others are claimed");

    // Until its backoff ends, the failing target is not tried: no error, no claim.
    const [late] = await db.insertJobs("t1", 1);
    const second = await store.claimWaiting(limits("bad", "t1"));
    assert.deepEqual(second.map((job) => job.id), [late]);
    assert.deepEqual(repolled, []);

    await waitFor("the poll at the end of the backoff", () => repolled.length === 1);
    assert.deepEqual(repolled, ["bad"]);
    await db.query("DROP TRIGGER refuse_bad");
    const third = await store.claimWaiting(limits("bad"));
    assert.deepEqual(third.map((job) => job.id), [bad]);
  } finally {
    await store.close();
  }
});

Deno.test("claim isolation: an error of the whole database still fails the claim, nothing set aside", async () => {
  await using db = await openTestSqliteDatabase();
  const ids = [...await db.insertJobs("t1", 1), ...await db.insertJobs("t2", 1)];
  const repolled: string[] = [];
  const store = isolateClaimFailures(
    await openSqliteStore({ ...db.storeOptions("w"), busyTimeoutMs: 50 }),
    { repoll: (target) => repolled.push(target) },
  );
  try {
    // The application's connection holds the write lock longer than the store waits.
    await db.query("BEGIN IMMEDIATE");
    await assert.rejects(store.claimWaiting(limits("t1", "t2")), isTransientStorageError);
    await db.query("COMMIT");
    const jobs = await store.claimWaiting(limits("t1", "t2"));
    assert.deepEqual(jobs.map((job) => job.id), ids);
    assert.deepEqual(repolled, []);
  } finally {
    await store.close();
  }
});

Deno.test("claim isolation: a claim whose running marks the database refuses claims again without marks", async () => {
  await using db = await openTestSqliteDatabase();
  const [bad, good] = await db.insertJobs("t1", 2);
  await db.query(
    `CREATE TRIGGER refuse_running BEFORE UPDATE OF status ON jobs FOR EACH ROW
       WHEN NEW.id = ${bad} AND NEW.status = 'running'
       BEGIN SELECT RAISE(ABORT, 'job ${bad} may not run'); END`,
  );
  const repolled: string[] = [];
  const store = isolateClaimFailures(await openSqliteStore(db.storeOptions("w")), {
    repoll: (target) => repolled.push(target),
  });
  try {
    const claimed = await store.claimWaiting(limits("t1"), new Map([["t1", 2]]), 1_700_000_000);
    // Both come 'accepted': each start is marked alone, and only the bad one is refused.
    assert.deepEqual(claimed.map((job) => [job.id, job.running]), [
      [bad, undefined],
      [good, undefined],
    ]);
    assert.deepEqual((await db.rows([bad, good])).map((row) => row.status), [
      "accepted",
      "accepted",
    ]);
    assert.deepEqual(repolled, [], "the target is not set aside");
  } finally {
    await store.close();
  }
});

Deno.test("claim isolation: a target whose claim may have committed after others were claimed is reported in doubt", async () => {
  const memory = storeWithAttempts();
  const [bad] = memory.insert("bad", 1);
  // 'bad' is refused until it is set aside; claimed alone later, its claim
  // commits and the reply is lost.
  let badRefused = true;
  const inner = decorateStore(memory, {
    async claimWaiting(limits, startNow, startedAt) {
      if (!limits.has("bad")) return await memory.claimWaiting(limits, startNow, startedAt);
      if (badRefused) throw Object.assign(new Error("no claims of bad"), { code: "ER_SIGNAL" });
      await memory.claimWaiting(limits, startNow, startedAt);
      throw connectionLost();
    },
  });
  const inDoubt: (number | undefined)[] = [];
  const store = isolateClaimFailures(inner, {
    repoll: () => {},
    backoff: () => new Backoff({ firstMs: 10, maxMs: 10 }),
    claimInDoubt: (startedAt) => inDoubt.push(startedAt),
  });
  try {
    const [first] = memory.insert("t1", 1);
    const claimed = await store.claimWaiting(limits("bad", "t1"));
    assert.deepEqual(claimed.map((job) => job.id), [first]);
    badRefused = false;
    await new Promise((resolve) => setTimeout(resolve, 30));

    const [second] = memory.insert("t1", 1);
    const startNow = new Map([["bad", 1], ["t1", 1]]);
    const again = await store.claimWaiting(limits("bad", "t1"), startNow, 1_700_000_000);

    assert.deepEqual(again.map((job) => job.id), [second], "the jobs claimed are kept");
    assert.equal(memory.status(bad), "running", "the lost claim committed");
    assert.deepEqual(inDoubt, [1_700_000_000], "and the worker is told to look for its rows");
  } finally {
    await store.close();
  }
});

Deno.test("claim isolation: a run-manual claim whose running marks the database refuses claims again without marks", async () => {
  await using db = await openTestSqliteDatabase();
  const [bad, good] = await db.insertJobs("t1", 2, "manual");
  await db.query(
    `CREATE TRIGGER refuse_running BEFORE UPDATE OF status ON jobs FOR EACH ROW
       WHEN NEW.id = ${bad} AND NEW.status = 'running'
       BEGIN SELECT RAISE(ABORT, 'job ${bad} may not run'); END`,
  );
  const store = isolateClaimFailures(await openSqliteStore(db.storeOptions("w")), {
    repoll: () => {},
  });
  try {
    const claim = await store.claimManual(
      [bad, good],
      new Set(["t1"]),
      new Map([["t1", 2]]),
      1_700_000_000,
    );
    // Both come 'accepted': each start is marked alone, and only the bad one is refused.
    assert.deepEqual(claim.claimed.map((job) => [job.id, job.running]), [
      [bad, undefined],
      [good, undefined],
    ]);
    assert.deepEqual((await db.rows([bad, good])).map((row) => row.status), [
      "accepted",
      "accepted",
    ]);
  } finally {
    await store.close();
  }
});

Deno.test("claim isolation: after marks are refused, claims go without them for a backoff, then try again", async () => {
  await using db = await openTestSqliteDatabase();
  await db.query(
    `CREATE TRIGGER accepted_first BEFORE UPDATE OF status ON jobs FOR EACH ROW
       WHEN OLD.status = 'waiting' AND NEW.status = 'running'
       BEGIN SELECT RAISE(ABORT, 'accepted first'); END`,
  );
  const real = await openSqliteStore(db.storeOptions("w"));
  const marking: boolean[] = [];
  const counted = decorateStore(real, {
    claimWaiting: (limits, startNow, startedAt) => {
      marking.push((startNow?.size ?? 0) > 0);
      return real.claimWaiting(limits, startNow, startedAt);
    },
  });
  const store = isolateClaimFailures(counted, {
    repoll: () => {},
    backoff: () => new Backoff({ firstMs: 200, maxMs: 200 }),
  });
  try {
    const claimWithMarks = async () => {
      await db.insertJobs("t1", 1);
      return await store.claimWaiting(limits("t1"), new Map([["t1", 1]]), 1_700_000_000);
    };
    assert.equal((await claimWithMarks()).length, 1);
    assert.deepEqual(marking, [true, false], "refused, then claimed without marks");
    assert.equal((await claimWithMarks()).length, 1);
    assert.deepEqual(marking, [true, false, false], "within the backoff: no marks tried");
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal((await claimWithMarks()).length, 1);
    assert.deepEqual(marking, [true, false, false, true, false], "after it: tried again");
  } finally {
    await store.close();
  }
});
