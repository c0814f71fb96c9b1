import assert from "node:assert/strict";
import { classifyGeneralLog } from "./statement_kinds.ts";

/** A general log as MariaDB writes it: the time only on the first entry of a second. */
const LOG = [
  "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1 (Debian 12). started with:",
  "Tcp port: 3306  Unix socket: /tmp/mariadb.sock",
  "Time\t\t    Id Command\tArgument",
  "261202 23:01:02\t     7 Query\tSTART TRANSACTION",
  "\t\t     7 Query\t(SELECT id, 0 AS part FROM `jobs` WHERE status = 'waiting' AND target = 't1' " +
  "ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)",
  "\t\t     7 Query\tUPDATE `jobs` SET status = 'accepted', worker = 'w1'",
  "        WHERE id IN (1, 2, 3, 4) AND status = 'waiting'",
  "\t\t     7 Query\tCOMMIT",
  "\t\t     8 Query\tUPDATE `jobs` SET status = 'running', time_started = 1764716462",
  "      WHERE id IN (1, 2) AND status = 'accepted' AND worker = 'w1'",
  "261202 23:01:03\t     8 Query\tUPDATE `jobs` SET status = 'done', time_finished = CASE id " +
  "WHEN 1 THEN 5 END WHERE id IN (1) AND status = 'running'",
  "\t\t     8 Query\tUPDATE `jobs` SET status = IF(id IN (5, 6), 'running', 'done'), " +
  "time_started = IF(id IN (5, 6), 7, time_started) WHERE ((id IN (5, 6) AND status = " +
  "'accepted') OR (id IN (2) AND status = 'running'))",
  "\t\t     9 Query\tSELECT id FROM `jobs`",
  "        WHERE status IN ('waiting', 'manual', 'accepted', 'running', 'ignored')",
  "\t\t     9 Query\tSHOW GLOBAL STATUS WHERE Variable_name IN ('Questions')",
  "\t\t     8 Query\tUPDATE `jobs` SET status = 'waiting', worker = NULL WHERE id = 3 " +
  "AND status = 'accepted'",
  "\t\t    10 Connect\tjobd@localhost on jobd_bench as anonymous",
  "\t\t    10 Query\tSET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
  "",
].join("\n");

Deno.test("a general log's statements are counted in the step of a job's path they serve", () => {
  const { byKind, otherExamples } = classifyGeneralLog(LOG);
  // START TRANSACTION, the locking read, the UPDATE and COMMIT: all four are the claim's.
  assert.deepEqual(byKind.claim, { statements: 4, updates: 1, updatedIds: 4 });
  assert.deepEqual(byKind["running mark"], { statements: 1, updates: 1, updatedIds: 2 });
  assert.deepEqual(byKind["result write"], { statements: 1, updates: 1, updatedIds: 1 });
  // Two starts and one result in one statement.
  assert.deepEqual(byKind["mark + result"], { statements: 1, updates: 1, updatedIds: 3 });
  assert.deepEqual(byKind.release, { statements: 1, updates: 1, updatedIds: 1 });
  assert.equal(byKind.benchmark.statements, 2);
  // Connecting is not a statement; setting the session up is, of no step.
  assert.equal(byKind.other.statements, 1);
  assert.deepEqual(otherExamples, ["SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"]);
});

Deno.test("a transaction's statements go to the kind of its first statement, per connection", () => {
  const log = [
    "\t\t     7 Query\tSTART TRANSACTION",
    "\t\t     8 Query\tUPDATE `jobs` SET status = 'running', time_started = 1 WHERE id IN (5)",
    "\t\t     7 Query\tSELECT id, target, status FROM `jobs` WHERE id IN (9) ORDER BY id FOR UPDATE",
    "\t\t     7 Query\tUPDATE `jobs` SET status = 'accepted' WHERE id = 9",
    "\t\t     7 Query\tROLLBACK",
  ].join("\n");
  const { byKind } = classifyGeneralLog(log);
  assert.equal(byKind["manual claim"].statements, 4);
  assert.equal(byKind["running mark"].statements, 1);
  assert.equal(byKind.claim.statements, 0);
});
