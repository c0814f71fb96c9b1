-- The jobs table of jobd, as the older jobd had it (optional columns below). Applications
-- insert rows with status 'waiting' (run in the background after a poke or poll) or 'manual'
-- (run on a run-manual request); jobd never deletes rows (it inserts only for the job board,
-- below). You may add columns, widen `target` or make it an ENUM.
-- Name the table as `mysql_table` in jobd.conf (default: jobs).

CREATE TABLE `jobs` (
  `id` int(10) UNSIGNED NOT NULL AUTO_INCREMENT,
  `target` char(16) NOT NULL,
  `time_created` int(10) UNSIGNED NOT NULL,
  `time_started` int(10) UNSIGNED NOT NULL DEFAULT 0,
  `time_finished` int(10) UNSIGNED NOT NULL DEFAULT 0,
  `status` enum('waiting','manual','accepted','running','done','ignored') NOT NULL DEFAULT 'waiting',
  `result` enum('ok','fail') DEFAULT NULL,
  `return_code` tinyint(3) UNSIGNED DEFAULT NULL,
  `sig` char(10) DEFAULT NULL,
  `stdout` mediumtext DEFAULT NULL,
  `stderr` mediumtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `status_target_idx` (`status`, `target`, `id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

-- Optional, for crash recovery: record which worker claimed each row. With this column a
-- worker that crashed or was killed finds, when it starts again, the rows it left
-- 'accepted' or 'running' under its `name` (give every worker a distinct `name`, at most
-- 64 characters). Without it those rows stay as they are until someone fixes them by hand.
-- ALTER TABLE `jobs`
--   ADD COLUMN `worker` varchar(64) DEFAULT NULL,
--   ADD KEY `worker_status_idx` (`worker`, `status`);

-- Optional, for deferred jobs, timeouts and retries (README "Deferred jobs", "Job timeouts",
-- "Retries"). Each column turns on what it is for; the worker says at start-up which are on.
--   status 'delayed' + time_run_at: a 'delayed' row starts once time_run_at (unix seconds)
--     has passed, on a worker serving its target (older workers never start it);
--   timeout: seconds this row may run (overrides the config's `timeout`; 0 = no limit);
--   attempts: counted at each start; max_attempts: this row's limit (overrides the config's).
-- Retries (`max_attempts` > 1) need status 'delayed', time_run_at and attempts.
-- ALTER TABLE `jobs`
--   MODIFY `status` enum('waiting','manual','accepted','running','done','ignored','delayed') NOT NULL DEFAULT 'waiting',
--   ADD COLUMN `time_run_at` int(10) UNSIGNED NOT NULL DEFAULT 0,
--   ADD COLUMN `timeout` int(10) UNSIGNED DEFAULT NULL,
--   ADD COLUMN `attempts` smallint(5) UNSIGNED NOT NULL DEFAULT 0,
--   ADD COLUMN `max_attempts` smallint(5) UNSIGNED DEFAULT NULL,
--   ADD KEY `status_target_run_idx` (`status`, `target`, `time_run_at`);

-- Optional, for a big table (millions of rows): the operators' reads that no index above
-- serves. `status_result_idx` finds the newest failed rows (the master's status page, Last
-- failures, every few seconds while it is open; `jobctl jobs --result fail`) without reading
-- back through every row when failures are rare; `status_finished_idx` lets `jobctl stats`
-- count the last day's `done` rows from the index alone (it holds the target and the result:
-- on (`status`, `time_finished`) only, each row would be read too, slower than no index).
-- Each index costs a little on every status change.
-- ALTER TABLE `jobs`
--   ADD KEY `status_result_idx` (`status`, `result`, `id`),
--   ADD KEY `status_finished_idx` (`status`, `time_finished`, `target`, `result`);

-- Optional, for the job board (`schedules = FILE` in jobd.conf): the state of each schedule,
-- shared by every worker that runs the board, so that each slot inserts exactly one job row
-- however many workers there are, and a restart neither loses nor repeats a slot. The
-- worker's database user needs SELECT, INSERT and UPDATE on it, and INSERT on the jobs table.
CREATE TABLE `jobd_schedules` (
  `name` varchar(64) NOT NULL,
  `rule_hash` char(16) NOT NULL DEFAULT '',
  `next_run_at` int(10) UNSIGNED NOT NULL,
  `last_run_at` int(10) UNSIGNED DEFAULT NULL,
  `last_job_id` int(10) UNSIGNED DEFAULT NULL,
  `runs` int(10) UNSIGNED NOT NULL DEFAULT 0,
  `paused` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
