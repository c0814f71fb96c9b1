import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import type { RowDataPacket } from "mysql2/promise";
import { type Durability, startMariaDb } from "./mariadb.ts";

/** The server's durability settings as it reports them. */
async function durabilityOf(durability: Durability | undefined) {
  await using server = await startMariaDb(durability === undefined ? {} : { durability });
  const connection = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      "SELECT @@innodb_flush_log_at_trx_commit AS flush, @@innodb_doublewrite AS doublewrite",
    );
    return {
      declared: server.durability,
      flush: Number(rows[0].flush),
      doublewrite: Number(rows[0].doublewrite),
    };
  } finally {
    await connection.end();
  }
}

Deno.test("a durable throwaway server flushes every commit and keeps the doublewrite buffer", async () => {
  assert.deepEqual(await durabilityOf("durable"), {
    declared: "durable",
    flush: 1,
    doublewrite: 1,
  });
});

Deno.test("a throwaway server is relaxed unless told otherwise: commits not flushed, no doublewrite", async () => {
  const relaxed = { declared: "relaxed", flush: 2, doublewrite: 0 };
  assert.deepEqual(await durabilityOf(undefined), relaxed);
  assert.deepEqual(await durabilityOf("relaxed"), relaxed);
});
