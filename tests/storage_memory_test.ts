/**
 * The in-memory store of the worker's unit tests (tests/helpers/memory_store.ts)
 * passes the same conformance suite as the MySQL and SQLite stores, so what
 * the worker's tests run against behaves like the real tables.
 */

import { MemoryStore, MemoryTable } from "./helpers/memory_store.ts";
import { defineJobStoreConformance } from "./storage_conformance/mod.ts";

defineJobStoreConformance("memory", ({ workerName, withWorkerColumn, withTimeColumns }) => {
  const table = new MemoryTable({ timeColumns: withTimeColumns });
  const stores: MemoryStore[] = [];
  const open = (name: string) => {
    const store = new MemoryStore({ table, workerName: name, tracksOwner: withWorkerColumn });
    stores.push(store);
    return store;
  };
  const store = open(workerName);
  return Promise.resolve({
    store,
    where: `table '${table.name}' of memory`,
    insert: (target, count, status) => Promise.resolve(table.insert(target, count, status)),
    rows: (ids) => Promise.resolve(table.read(ids)),
    setColumns: (ids, values) => Promise.resolve(table.setColumns(ids, values)),
    readColumns: (ids, columns) => Promise.resolve(table.readColumns(ids, columns)),
    openPeer: (peerName) => Promise.resolve(open(peerName)),
    async [Symbol.asyncDispose]() {
      for (const each of stores) await each.close();
    },
  });
});

// The operators' operations (`store.control`: jobs, job, stats, retry, add)
// are SQL over the table's real columns (an application's own columns and
// their types, the `delayed` status, `time_run_at`); their conformance tests
// read and change the table with SQL. The memory table has neither, and the
// worker's unit tests never use them, so the memory store has no `control`
// and its worker refuses those requests.
Deno.test({
  name: "memory: control: skipped, the memory store has no operators' operations (SQL only)",
  ignore: true,
  fn() {},
});
