/**
 * The storage conformance suite, `ping`: the health check's one cheap read
 * of the table.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConformanceTest, storageError } from "./fixture.ts";

/** Registers the `ping` tests. */
export function pingConformance(test: ConformanceTest): void {
  test("ping resolves while the table can be read, and changes no row", {}, async (f) => {
    await f.store.ping();
    const [id] = await f.insert("build", 1);
    await f.store.ping();
    assert.deepEqual((await f.rows([id])).map((row) => row.status), ["waiting"]);
  });

  test("ping on a closed store fails naming the table", {}, async (f) => {
    await f.store.close();
    const error = await storageError(f.store.ping());
    assert.equal(error.message, `Cannot reach the jobs in ${f.where}: the store is closed`);
  });
}
