-- The jobs table of jobd for `storage = sqlite` (in SQLite's dialect): the same
-- columns, statuses and index as schema.sql. Applications insert rows with status 'waiting'
-- (run in the background after a poke or poll) or 'manual' (run on a run-manual request);
-- jobd never deletes rows (it inserts only for the job board) nor creates this table.
-- Create it once:
--
--   sqlite3 /var/lib/jobd/jobs.db < examples/schema.sqlite.sql
--
-- Name the file as `sqlite_path` and the table as `mysql_table` in jobd.conf (default: jobs).
-- The worker switches the file to WAL mode, so applications can insert while it claims; give
-- their connections a busy timeout (`PRAGMA busy_timeout = 5000;`) so that an insert waits
-- for a claim in progress instead of failing with "database is locked". Start a transaction
-- that reads before it inserts with BEGIN IMMEDIATE: after a plain BEGIN, its first write fails
-- with "database is locked" at once, busy timeout or not, when the worker committed meanwhile.

CREATE TABLE "jobs" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "target" TEXT NOT NULL,
  "time_created" INTEGER NOT NULL,
  "time_started" INTEGER NOT NULL DEFAULT 0,
  "time_finished" INTEGER NOT NULL DEFAULT 0,
  "status" TEXT NOT NULL DEFAULT 'waiting'
    CHECK ("status" IN ('waiting', 'manual', 'accepted', 'running', 'done', 'ignored', 'delayed')),
  "result" TEXT DEFAULT NULL CHECK ("result" IN ('ok', 'fail')),
  "return_code" INTEGER DEFAULT NULL,
  "sig" TEXT DEFAULT NULL,
  "stdout" TEXT DEFAULT NULL,
  "stderr" TEXT DEFAULT NULL,
  -- Optional, for crash recovery: the name of the worker that claimed the row. With it, a
  -- worker that crashed or was killed finds, when it starts again, the rows it left
  -- 'accepted' or 'running' under its `name` (give every worker a distinct `name`).
  -- Without it (drop this column and worker_status_idx) those rows stay as they are.
  "worker" TEXT DEFAULT NULL,
  -- Optional, for deferred jobs, timeouts and retries (README "Deferred jobs", "Job timeouts",
  -- "Retries"); each column turns on what it is for, and the worker says at start-up which are
  -- on. A 'delayed' row starts once "time_run_at" (unix seconds) has passed; "timeout" is the
  -- seconds this row may run (over the config's `timeout`; 0 = no limit); "attempts" counts
  -- starts, "max_attempts" is this row's limit (over the config's). Retries (`max_attempts` > 1)
  -- need 'delayed', "time_run_at" and "attempts". An older table gets them with
  -- ALTER TABLE "jobs" ADD COLUMN ... for each, and the index below; allowing 'delayed' in its
  -- status CHECK means copying it into a table created from this file.
  "time_run_at" INTEGER NOT NULL DEFAULT 0,
  "timeout" INTEGER DEFAULT NULL,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "max_attempts" INTEGER DEFAULT NULL
);

-- Optional, for the job board (`schedules = FILE` in jobd.conf): the state of each schedule,
-- shared by every worker that runs the board, so that each slot inserts exactly one job row.
CREATE TABLE "jobd_schedules" (
  "name" TEXT PRIMARY KEY NOT NULL,
  "rule_hash" TEXT NOT NULL DEFAULT '',
  "next_run_at" INTEGER NOT NULL,
  "last_run_at" INTEGER DEFAULT NULL,
  "last_job_id" INTEGER DEFAULT NULL,
  "runs" INTEGER NOT NULL DEFAULT 0,
  "paused" INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX "status_target_idx" ON "jobs" ("status", "target", "id");

CREATE INDEX "worker_status_idx" ON "jobs" ("worker", "status");

CREATE INDEX "status_target_run_idx" ON "jobs" ("status", "target", "time_run_at");
