/**
 * The storage conformance suite, `claimManual`: run-manual claims by id, with the error text of
 * each id it cannot claim.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ConformanceTest } from "./fixture.ts";

/** Registers the `claimManual` tests. */
export function claimManualConformance(test: ConformanceTest): void {
  test("claimManual accepts manual rows of served targets, in id order", {}, async (f) => {
    const ids = await f.insert("build", 3, "manual");
    const claim = await f.store.claimManual([ids[2], ids[0], ids[1]], new Set(["build"]));
    assert.deepEqual(claim.claimed, ids.map((id) => ({ id, target: "build", origin: "manual" })));
    assert.equal(claim.errors.size, 0);
    assert.deepEqual((await f.rows(ids)).map((row) => row.status), [
      "accepted",
      "accepted",
      "accepted",
    ]);
  });

  test(
    "claimManual reports each id it cannot claim, and ignores only manual rows of other targets",
    {},
    async (f) => {
      const [served] = await f.insert("build", 1, "manual");
      const [unserved] = await f.insert("deploy", 1, "manual");
      const [done] = await f.insert("build", 1, "done");
      const [waiting] = await f.insert("build", 1, "waiting");
      const [running] = await f.insert("build", 1, "running");
      const missing = running + 1000;
      const untouched = await f.rows([done, waiting, running]);

      const claim = await f.store.claimManual(
        [missing, done, unserved, served, waiting, running],
        new Set(["build"]),
      );

      assert.deepEqual(claim.claimed, [{ id: served, target: "build", origin: "manual" }]);
      assert.deepEqual(
        claim.errors,
        new Map([
          [missing, `job ${missing} not found`],
          [done, "status = done != manual"],
          [unserved, `target 'deploy' not found (job id=${unserved})`],
          [waiting, "status = waiting != manual"],
          [running, "status = running != manual"],
        ]),
      );
      assert.equal((await f.rows([served]))[0].status, "accepted");
      assert.equal((await f.rows([unserved]))[0].status, "ignored");
      assert.deepEqual(await f.rows([done, waiting, running]), untouched);
    },
  );

  test(
    "claimManual leaves a row of another target than the caller named as it is, with an error",
    {},
    async (f) => {
      const [mail] = await f.insert("mail", 1, "manual");
      const [done] = await f.insert("mail", 1, "done");
      const [build] = await f.insert("build", 1, "manual");
      const untouched = await f.rows([mail, done]);

      // The worker serves both targets, but the caller said each job is of target 'build'.
      const claim = await f.store.claimManual(
        [mail, done, build],
        new Set(["build", "mail"]),
        undefined,
        undefined,
        new Map([[mail, "build"], [done, "build"], [build, "build"]]),
      );

      assert.deepEqual(claim.claimed, [{ id: build, target: "build", origin: "manual" }]);
      assert.deepEqual(
        claim.errors,
        new Map([
          [mail, `job ${mail} belongs to target 'mail', not 'build'`],
          [done, `job ${done} belongs to target 'mail', not 'build'`],
        ]),
      );
      assert.deepEqual(await f.rows([mail, done]), untouched, "the rows stay as they were");
    },
  );

  test(
    "claimManual does not ignore a manual row of an unserved target when the caller named another",
    {},
    async (f) => {
      const [mail] = await f.insert("mail", 1, "manual");
      const claim = await f.store.claimManual(
        [mail],
        new Set(["build"]),
        new Map([["build", 1]]),
        1_700_000_000,
        new Map([[mail, "build"]]),
      );
      assert.deepEqual(claim.claimed, []);
      assert.deepEqual(
        claim.errors,
        new Map([[mail, `job ${mail} belongs to target 'mail', not 'build'`]]),
      );
      assert.equal((await f.rows([mail]))[0].status, "manual");
    },
  );

  test("claimManual refuses an empty list of ids", {}, async (f) => {
    await assert.rejects(f.store.claimManual([], new Set(["build"])), /no job ids/);
  });

  test("claimManual carries the row's timeout, attempts and max_attempts", {
    withTimeColumns: true,
  }, async (f) => {
    const [manual] = await f.insert("build", 1, "manual");
    await f.setColumns([manual], { timeout: 0 });
    const claim = await f.store.claimManual([manual], new Set(["build"]));
    assert.deepEqual(claim.claimed[0].row, { timeout: 0, attempts: 0, maxAttempts: null });
  });
}
