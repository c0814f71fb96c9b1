import assert from "node:assert/strict";
import {
  classifyStorageError,
  isTransientStorageError,
  refusesWritesOnly,
  StorageError,
} from "./errors.ts";

/** An error shaped like the ones mysql2 raises: a message plus code, errno and fatal. */
function driverError(message: string, fields: { code: string; errno?: number; fatal?: boolean }) {
  return Object.assign(new Error(message), fields);
}

Deno.test("a refused connection is transient", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const error = await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (connection) => {
      connection.close();
      return assert.fail("connected to a closed port");
    },
    (error: unknown) => error,
  );
  assert.equal(isTransientStorageError(error), true);
});

Deno.test("lost connections, deadlocks, lock waits and full servers are transient", () => {
  const transient = [
    driverError("connect ECONNREFUSED 127.0.0.1:3306", { code: "ECONNREFUSED", errno: -111 }),
    driverError("read ECONNRESET", { code: "ECONNRESET", errno: -104, fatal: true }),
    driverError("Connection lost: The server closed the connection.", {
      code: "PROTOCOL_CONNECTION_LOST",
      fatal: true,
    }),
    driverError("Deadlock found when trying to get lock", {
      code: "ER_LOCK_DEADLOCK",
      errno: 1213,
    }),
    driverError("Lock wait timeout exceeded", { code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205 }),
    driverError("Too many connections", { code: "ER_CON_COUNT_ERROR", errno: 1040 }),
    driverError("Server shutdown in progress", { code: "ER_SERVER_SHUTDOWN", errno: 1053 }),
    driverError("Connection was killed", { code: "ER_CONNECTION_KILLED", errno: 1927 }),
    driverError("Query inactivity timeout", { code: "PROTOCOL_SEQUENCE_TIMEOUT" }),
    // A full disk or a read-only server (a failover): results wait, their output kept.
    driverError("The table 'jobs' is full", { code: "ER_RECORD_FILE_FULL", errno: 1114 }),
    driverError("Disk full (./jobd/jobs.ibd); waiting for someone to free some space...", {
      code: "ER_DISK_FULL",
      errno: 1021,
    }),
    driverError(
      "The MariaDB server is running with the --read-only option so it cannot execute this statement",
      { code: "ER_OPTION_PREVENTS_STATEMENT", errno: 1290 },
    ),
    driverError("Out of memory.", { code: "ER_OUT_OF_RESOURCES", errno: 1041 }),
  ];
  for (const error of transient) assert.equal(isTransientStorageError(error), true, error.message);
});

Deno.test("errors about the request itself are not transient", () => {
  const permanent = [
    driverError("You have an error in your SQL syntax", { code: "ER_PARSE_ERROR", errno: 1064 }),
    driverError("Table 'jobd.jobs' doesn't exist", { code: "ER_NO_SUCH_TABLE", errno: 1146 }),
    driverError("Access denied for user 'jobd'", {
      code: "ER_ACCESS_DENIED_ERROR",
      errno: 1045,
      fatal: true,
    }),
    new Error("Pool is closed."),
    new StorageError("Cannot use the table 'jobs' of database 'jobd': it does not exist"),
  ];
  for (const error of permanent) assert.equal(isTransientStorageError(error), false, error.message);
  for (const value of [undefined, null, "ECONNREFUSED", 1213]) {
    assert.equal(isTransientStorageError(value), false);
  }
});

Deno.test("a StorageError is judged by its cause, and keeps the driver's code and errno", () => {
  const cause = driverError("Deadlock found", { code: "ER_LOCK_DEADLOCK", errno: 1213 });
  const error = new StorageError("Cannot claim waiting jobs of target 'a': Deadlock found", {
    cause,
  });
  assert.equal(error.name, "StorageError");
  assert.equal(error.code, "ER_LOCK_DEADLOCK");
  assert.equal(error.errno, 1213);
  assert.equal(isTransientStorageError(error), true);
});

Deno.test("a cycle of causes ends the search", () => {
  const first = new Error("first") as Error & { cause?: unknown };
  const second = new Error("second", { cause: first });
  first.cause = second;
  assert.equal(isTransientStorageError(first), false);
});

Deno.test("lock conflicts are told apart from outages, for MySQL and SQLite alike", () => {
  const sqlite = (errcode: number) =>
    Object.assign(new Error("database is locked"), { code: "ERR_SQLITE_ERROR", errcode });
  const conflicts = [
    driverError("Deadlock found when trying to get lock", {
      code: "ER_LOCK_DEADLOCK",
      errno: 1213,
    }),
    driverError("Lock wait timeout exceeded", { code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205 }),
    sqlite(5), // SQLITE_BUSY
    sqlite(6), // SQLITE_LOCKED
    sqlite(5 | (2 << 8)), // SQLITE_BUSY_SNAPSHOT: an extended code
    // DatabaseSync.exec() raises errors with the message only.
    new Error("database is locked"),
    new StorageError("Cannot mark job 5 running", { cause: sqlite(5) }),
  ];
  for (const error of conflicts) {
    assert.equal(classifyStorageError(error), "lock conflict", error.message);
  }
  assert.equal(
    classifyStorageError(driverError("read ECONNRESET", { code: "ECONNRESET", errno: -104 })),
    "outage",
  );
  assert.equal(
    classifyStorageError(Object.assign(new Error("no such table: jobs"), {
      code: "ERR_SQLITE_ERROR",
      errcode: 1,
    })),
    "refused",
  );
});

Deno.test("a full disk or a read-only server is an outage of writes only, through a StorageError", () => {
  const readOnly = driverError("The MariaDB server is running with the --read-only option", {
    code: "ER_OPTION_PREVENTS_STATEMENT",
    errno: 1290,
  });
  assert.equal(refusesWritesOnly(new StorageError("mark job 1 done", { cause: readOnly })), true);
  assert.equal(
    refusesWritesOnly(driverError("Disk full", { code: "ER_DISK_FULL", errno: 1021 })),
    true,
  );
  const gone = driverError("Server has gone away", { code: "CR_SERVER_GONE_ERROR", errno: 2006 });
  assert.equal(refusesWritesOnly(gone), false);
  assert.equal(refusesWritesOnly(new Error("timeout")), false);
});
